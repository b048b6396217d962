fn main() {
    let _ = notify_rules::rules! {
        target ops, audit;
        target ops;
        on state Failed => send(ops);
    };
}
