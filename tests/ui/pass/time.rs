// Every time form in `rules!`: windows, remind with and without a template,
// every and during, alone and together, on stage and agent rules.
fn main() {
    let rules = notify_rules::rules! {
        target ops, audit;
        window office = "Mon-Fri 08:00-18:00, Sat 10:00-12:00" in "Europe/Berlin";
        window night = "daily 22:00-07:00" in "UTC";

        on pipeline "api-*" stage "test" broken => send(ops, "{pipeline.name} broke"),
            remind(ops, 4h, "{pipeline.name} is still red, for {since} now (reminder {reminder})");
        on still_failing => send(ops, "{pipeline.name} still failing ({suppressed} more)") every 1h;
        on state Failed => send(audit) during office;
        on result Failed => remind(audit, 2d) every 30s during night;
        on agent lost => send(ops) every 15m during night;
    };
    assert_eq!(rules.windows().len(), 2);
    assert_eq!(rules.timing(3).and_then(|t| t.during()), Some(1));
    assert!(rules.agent_timing(0).is_some());
}
