fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on agent pipeline "x" => send(ops);
    };
}
