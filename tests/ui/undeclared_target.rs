fn main() {
    let _ = notify_rules::rules! {
        target ops, audit;
        on state Failed => send(opps);
    };
}
