fn main() {
    let _ = notify_rules::rules_file!("/etc/notify/team.rules");
}
