fn main() {
    let _ = notify_rules::rules! {
        target ops;
        window office = "Mon-Fri 08:00-18:00" in "Europe/Berlin";
        window office = "daily 09:00-17:00" in "UTC";
        on state Failed => send(ops) during office;
    };
}
