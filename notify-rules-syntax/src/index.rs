//! The index from exact pipeline names to the rules that name them, shared by
//! the generated code (built when the macro runs) and the run-time evaluator
//! (built when the rules load): one hash function, one table layout, one
//! lookup, so the two engines choose the same rules.
//!
//! The table is open-addressed with linear probing, at most half full, and
//! keyed by the lower-cased name; a lookup hashes the notification's name
//! lower-casing byte by byte, so it allocates nothing.

use std::collections::BTreeMap;

use crate::ast::{Condition, PatternKind, Rule, Rules};

/// From this many rules on, rules keyed by an exact pipeline name are indexed;
/// below it, trying each rule in turn is as fast.
pub const INDEX_FROM: usize = 32;

/// One slot of the table: a lower-cased name and the ascending ids of the rules
/// it selects. A free slot has no ids.
pub type Slot<K, I> = (K, I);

/// FNV-1a of the name's bytes, ASCII lower-cased: pipeline names are compared
/// without regard to ASCII case.
#[inline]
pub fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The ids of the rules indexed under `name` (any ASCII case), in rule order;
/// empty when none is.
///
/// ```
/// use notify_rules_syntax::index::{lookup, NameIndex};
///
/// let rules = notify_rules_syntax::parse_str(
///     r#"target ops; on pipeline "Shop" => send(ops); on any => send(ops); on pipeline "shop" | "docs" => stop;"#,
/// ).unwrap();
/// let index = NameIndex::of(&rules);
/// assert_eq!(lookup(&index.slots, "SHOP"), [0, 2]);
/// assert_eq!(lookup(&index.slots, "billing"), [] as [u32; 0]);
/// assert_eq!(index.unkeyed, [1]);
/// ```
#[inline]
pub fn lookup<'t, K: AsRef<str>, I: AsRef<[u32]>>(
    slots: &'t [Slot<K, I>],
    name: &str,
) -> &'t [u32] {
    if slots.is_empty() {
        return &[];
    }
    let mask = slots.len() - 1;
    let mut i = name_hash(name) as usize & mask;
    // At most half the slots are taken, so a free one ends every probe.
    loop {
        let (key, ids) = &slots[i];
        let ids = ids.as_ref();
        if ids.is_empty() {
            return &[];
        }
        if key.as_ref().eq_ignore_ascii_case(name) {
            return ids;
        }
        i = (i + 1) & mask;
    }
}

/// Which rules a notification's pipeline name selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameIndex {
    /// The table, a power of two long; free slots hold an empty name and no ids.
    pub slots: Vec<Slot<String, Vec<u32>>>,
    /// The rules with no exact pipeline name, which every notification tries.
    pub unkeyed: Vec<u32>,
}

impl NameIndex {
    /// The index of a rule set: each rule under the lower-cased names of its
    /// first `pipeline` clause made only of exact names, or unkeyed.
    pub fn of(rules: &Rules) -> NameIndex {
        let mut keyed: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut unkeyed = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            let id = i as u32;
            match keys(rule) {
                Some(names) => {
                    for name in names {
                        let ids = keyed.entry(name).or_default();
                        if ids.last() != Some(&id) {
                            ids.push(id);
                        }
                    }
                }
                None => unkeyed.push(id),
            }
        }
        let len = (keyed.len() * 2).next_power_of_two();
        let mut slots: Vec<Slot<String, Vec<u32>>> = vec![(String::new(), Vec::new()); len];
        if keyed.is_empty() {
            slots.clear();
        }
        let mask = len.wrapping_sub(1);
        for (name, ids) in keyed {
            let mut i = name_hash(&name) as usize & mask;
            while !slots[i].1.is_empty() {
                i = (i + 1) & mask;
            }
            slots[i] = (name, ids);
        }
        NameIndex { slots, unkeyed }
    }
}

/// The names of a rule that can only match one of a few exact pipeline names.
fn keys(rule: &Rule) -> Option<Vec<String>> {
    rule.clauses.iter().find_map(|c| match &c.condition {
        Condition::Pipeline(pats)
            if !c.negated && pats.iter().all(|p| p.kind == PatternKind::Exact) =>
        {
            Some(pats.iter().map(|p| p.text.to_ascii_lowercase()).collect())
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(src: &str) -> NameIndex {
        NameIndex::of(&crate::parse_str(src).unwrap())
    }

    #[test]
    fn every_key_is_found_in_any_case_and_others_are_not() {
        let mut src = String::from("target ops;\n");
        for i in 0..500 {
            src.push_str(&format!("on pipeline \"Svc-{i}\" => send(ops);\n"));
        }
        let idx = index(&src);
        assert_eq!(idx.slots.len(), 1024);
        for i in 0..500u32 {
            assert_eq!(lookup(&idx.slots, &format!("svc-{i}")), [i]);
            assert_eq!(lookup(&idx.slots, &format!("SVC-{i}")), [i]);
            assert_eq!(lookup(&idx.slots, &format!("svc-{i}x")), [] as [u32; 0]);
        }
        assert!(idx.unkeyed.is_empty());
    }

    #[test]
    fn globs_regexes_and_negations_are_not_keys() {
        let idx = index(
            r#"target ops;
            on pipeline "a*" => send(ops);
            on pipeline regex("b.*") => send(ops);
            on not pipeline "c" => send(ops);
            on pipeline "d" | "e*" => send(ops);
            on stage "x" pipeline "f" => send(ops);"#,
        );
        assert_eq!(idx.unkeyed, [0, 1, 2, 3]);
        assert_eq!(lookup(&idx.slots, "F"), [4]);
        assert_eq!(lookup(&idx.slots, "d"), [] as [u32; 0]);
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let idx = index("target ops; on any => send(ops);");
        assert!(idx.slots.is_empty());
        assert_eq!(lookup(&idx.slots, "x"), [] as [u32; 0]);
    }
}
