fn main() {
    let _ = notify_rules::rules_file!("../../../../tests/ui/rules/guard.rules");
}
