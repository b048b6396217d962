use notify_rules::model::StageStatus;

fn counter(s: &StageStatus) -> u64 {
    s.pipeline.counter
}

fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on if counter => send(ops);
    };
}
