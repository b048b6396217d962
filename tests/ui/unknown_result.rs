fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on result Passd => send(ops);
    };
}
