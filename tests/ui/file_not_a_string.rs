fn main() {
    let _ = notify_rules::rules_file!(team_rules);
}
