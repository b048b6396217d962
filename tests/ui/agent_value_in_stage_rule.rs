fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on state LostContact => send(ops);
    };
}
