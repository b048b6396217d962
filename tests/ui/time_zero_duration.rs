fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on still_failing => send(ops) every 0m;
    };
}
