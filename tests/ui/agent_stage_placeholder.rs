fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on agent lost => send(ops, "{pipeline.name} lost its agent");
    };
}
