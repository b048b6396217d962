fn main() {
    let rules = notify_rules::rules_file!("../../../../tests/ui/rules/all.rules");
    assert_eq!(rules.targets(), ["ops", "releases", "audit"]);
    assert_eq!(rules.len(), 8);
}
