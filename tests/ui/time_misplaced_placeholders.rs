fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on broken => send(ops, "red for {since}, reminder {reminder}");
        on still_failing => send(ops, "{suppressed} more");
        on broken => remind(ops, 1h, "{suppressed}") every 1h;
    };
}
