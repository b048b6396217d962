fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on not any => send(ops);
    };
}
