fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on broken => remind(ops, 30min);
    };
}
