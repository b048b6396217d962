// Every agent mistake of one rule set is reported at once, each at its place.
fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on agent stage "x" config Enabld => send(ops, "{stage.name}");
        on host "win-*" => send(ops);
        on agent back lost elastic elastic => send(opz);
    };
}
