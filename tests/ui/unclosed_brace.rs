fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on state Failed => send(ops, "{pipeline.name failed");
    };
}
