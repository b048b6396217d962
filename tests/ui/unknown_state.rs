fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on stage "deploy" state Faild => send(ops);
    };
}
