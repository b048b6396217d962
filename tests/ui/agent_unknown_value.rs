fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on agent state LostContcat => send(ops);
    };
}
