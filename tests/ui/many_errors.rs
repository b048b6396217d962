fn main() {
    let _ = notify_rules::rules! {
        target ops;
        on state Faild => send(ops);
        on stgae "x" => send(ops);
        on state Failed => send(opps, "{pipline.name}");
        on pipeline regex("(") => stop;
    };
}
