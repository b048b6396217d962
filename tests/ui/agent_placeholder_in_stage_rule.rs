fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on state Failed => send(ops, "failed on {agent.host_name}");
    };
}
