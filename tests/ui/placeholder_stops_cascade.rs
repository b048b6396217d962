use notify_rules::RuleSet;

fn takes(rules: RuleSet) -> usize {
    rules.len()
}

fn main() {
    // Only the rule error is reported: the placeholder keeps `takes` and the
    // method call type-correct.
    let rules = notify_rules::rules! {
        target ops;
        on state Faild => send(ops);
    };
    let _ = takes(rules.clone()) + rules.targets().len();
}
