//! What a rule is across reloads: the state store keeps a rule's reminders
//! and throttles under this identity rather than the rule's position, so a
//! rule file edited and reloaded (a rule added above, a message reworded)
//! keeps what the rules it still has started, and what a rule removed or
//! changed started is not sent in another rule's name.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{Action, Rules, Timing};

impl Rules {
    /// The identity of each stage rule and each agent rule, by index: the
    /// same on every build and platform, for compiled and loaded rules
    /// alike (the macro writes these values into the program).
    ///
    /// It is made of what the rule matches, its actions' kinds and targets,
    /// the reminders' intervals and `every`: rewording a message keeps it,
    /// any other change makes another rule. Rules alike in all of that are
    /// told apart by their order among themselves.
    ///
    /// ```
    /// let a = notify_rules_syntax::parse_str(r#"target ops;
    ///     on broken => send(ops, "broke"), remind(ops, 4h);"#).unwrap();
    /// let b = notify_rules_syntax::parse_str(r#"target ops;
    ///     on stage "x" => send(ops);
    ///     on broken => send(ops, "{pipeline.name} broke"), remind(ops, 4h);"#).unwrap();
    /// assert_eq!(a.identities().0[0], b.identities().0[1]);
    /// assert_ne!(b.identities().0[0], b.identities().0[1]);
    /// ```
    pub fn identities(&self) -> (Vec<u32>, Vec<u32>) {
        let stage = self.rules.iter().map(|r| {
            let clauses: Vec<String> = r.clauses.iter().map(ToString::to_string).collect();
            shape("on", &clauses, &r.actions, &r.timing)
        });
        let agent = self.agent_rules.iter().map(|r| {
            let clauses: Vec<String> = r.clauses.iter().map(ToString::to_string).collect();
            shape("on agent", &clauses, &r.actions, &r.timing)
        });
        (numbered(stage), numbered(agent))
    }
}

/// The rule as its identity sees it.
fn shape(on: &str, clauses: &[String], actions: &[Action], timing: &Timing) -> String {
    let mut text = format!("{on} {} =>", clauses.join(" "));
    for action in actions {
        let _ = match action {
            Action::Send { target, .. } => write!(text, " send({})", target.name),
            Action::Remind { target, after, .. } => {
                write!(text, " remind({}, {}s)", target.name, after.secs)
            }
            Action::Stop => write!(text, " stop"),
        };
    }
    if let Some(every) = timing.every {
        let _ = write!(text, " every {}s", every.secs);
    }
    text
}

/// Each shape's hash, with the shapes seen before it that are alike
/// counted in.
fn numbered(shapes: impl Iterator<Item = String>) -> Vec<u32> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    shapes
        .map(|shape| {
            let n = seen.entry(shape.clone()).or_default();
            let id = fnv1a(format!("{shape} #{n}").as_bytes());
            *n += 1;
            id
        })
        .collect()
}

/// FNV-1a, cut to 31 bits (the databases keep it in a signed 32-bit
/// column). Written here rather than taken from `std`, whose hasher may
/// change between releases: these values are kept in databases.
fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash & 0x7fff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_and_fixed() {
        // FNV-1a's published value for "a" (0xe40c292c), cut to 31 bits.
        assert_eq!(fnv1a(b"a"), 0xe40c_292c & 0x7fff_ffff);
        assert_eq!(fnv1a(b""), 0x811c_9dc5 & 0x7fff_ffff);
    }

    #[test]
    fn what_makes_another_rule_and_what_does_not() {
        let ids = |text: &str| crate::parse_str(text).unwrap().identities();
        let base = ids("target ops, dev;\non broken => send(ops, \"a\"), remind(ops, 4h);\n");
        let reworded =
            ids("target ops, dev;\non broken => send(ops, \"b\"), remind(ops, 4h, \"c\");\n");
        assert_eq!(base, reworded);
        for other in [
            "target ops, dev;\non still_failing => send(ops, \"a\"), remind(ops, 4h);\n",
            "target ops, dev;\non broken => send(dev, \"a\"), remind(ops, 4h);\n",
            "target ops, dev;\non broken => send(ops, \"a\"), remind(ops, 2h);\n",
            "target ops, dev;\non broken => send(ops, \"a\"), remind(ops, 4h) every 1h;\n",
        ] {
            assert_ne!(base, ids(other), "{other}");
        }
        // Alike rules are told apart by their order, and a third added
        // after them leaves the first two as they were.
        let twins =
            ids("target ops;\non broken => send(ops, \"x\");\non broken => send(ops, \"y\");\n");
        assert_ne!(twins.0[0], twins.0[1]);
        let three = ids("target ops;\non broken => send(ops, \"x\");\non broken => send(ops, \"y\");\non broken => send(ops, \"z\");\n");
        assert_eq!(three.0[..2], twins.0[..]);
        let agent = ids("target ops;\non agent lost => send(ops) every 1h;\n");
        assert_eq!(agent.1.len(), 1);
    }
}
