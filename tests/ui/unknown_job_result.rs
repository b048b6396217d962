fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on job "unit" Faild => send(ops);
    };
}
