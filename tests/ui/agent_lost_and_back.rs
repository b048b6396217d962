fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on agent lost back => send(ops);
    };
}
