fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on agent lost => send(ops), remind(ops, 1h);
    };
}
