fn main() {
    let _ = notify_rules::rules! {
        target ops;
        window office = "Mon-Fri 08:00-18:00, Sat 10:00-12:70" in "Europe/Berlin";
        on state Failed => send(ops) during office;
    };
}
