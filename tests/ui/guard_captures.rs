fn main() {
    let limit = 10;
    let _ = notify_rules::rules! {
        target ops;
        on if |s: &notify_rules::model::StageStatus| s.pipeline.counter > limit => send(ops);
    };
}
