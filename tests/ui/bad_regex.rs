fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on pipeline regex("deploy-(prod") => send(ops);
    };
}
