fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on stage "test" state Passed | Failed => remind(ops, 4h);
    };
}
