fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on stage "a" stage "b" => send(ops);
    };
}
