fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on aproved_by "maria" => send(ops);
    };
}
