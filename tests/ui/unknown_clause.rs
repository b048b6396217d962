fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on stgae "deploy" => send(ops);
    };
}
