//! The matchers that both generated code and the run-time evaluator use, so the
//! two cannot disagree on what a pattern means.

use crate::model::{Job, StageStatus};

/// Equality without regard to ASCII case (pipeline, group, stage and job names).
#[inline]
pub fn eq_ci(value: &str, pattern: &str) -> bool {
    value.eq_ignore_ascii_case(pattern)
}

/// `prefix*`
#[inline]
pub fn starts_with(value: &str, prefix: &str, ci: bool) -> bool {
    value.len() >= prefix.len()
        && value.is_char_boundary(prefix.len())
        && eq(&value[..prefix.len()], prefix, ci)
}

/// `*suffix`
#[inline]
pub fn ends_with(value: &str, suffix: &str, ci: bool) -> bool {
    let Some(at) = value.len().checked_sub(suffix.len()) else {
        return false;
    };
    value.is_char_boundary(at) && eq(&value[at..], suffix, ci)
}

/// `*middle*`
#[inline]
pub fn contains(value: &str, middle: &str, ci: bool) -> bool {
    if !ci {
        return value.contains(middle);
    }
    let (v, m) = (value.as_bytes(), middle.as_bytes());
    m.is_empty() || v.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m))
}

#[inline]
fn eq(a: &str, b: &str, ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// A whole-value glob: `*` is any run of characters, `?` one character.
///
/// Iterative with one backtrack point and no allocation, so it stays cheap on
/// the hot path and cannot recurse deeply on hostile values.
pub fn glob(value: &str, pattern: &str, ci: bool) -> bool {
    fn at(s: &str, i: usize) -> Option<(char, usize)> {
        s.get(i..)?.chars().next().map(|c| (c, c.len_utf8()))
    }
    let same = |a: char, b: char| {
        if ci {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut vi, mut pi) = (0, 0);
    // Where the last `*` was, and how much of the value it has swallowed.
    let mut star: Option<(usize, usize)> = None;
    while let Some((vc, vlen)) = at(value, vi) {
        match at(pattern, pi) {
            Some(('*', _)) => {
                star = Some((pi, vi));
                pi += 1;
                continue;
            }
            Some((pc, plen)) if pc == '?' || same(pc, vc) => {
                vi += vlen;
                pi += plen;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sv)) => {
                let skip = at(value, sv).map_or(1, |(_, l)| l);
                pi = sp + 1;
                vi = sv + skip;
                star = Some((sp, vi));
            }
            None => return false,
        }
    }
    pattern[pi..].bytes().all(|b| b == b'*')
}

// The checks and the matchers must build a rule's regex the same way; the
// syntax crate owns that one definition.
pub use notify_rules_syntax::build_regex;

/// Whether some material's branch satisfies `pred`.
pub fn any_branch(status: &StageStatus, mut pred: impl FnMut(&str) -> bool) -> bool {
    status
        .pipeline
        .build_cause
        .iter()
        .filter_map(|c| c.material.branch())
        .any(&mut pred)
}

/// Whether some job satisfies `pred`.
pub fn any_job(status: &StageStatus, pred: impl FnMut(&Job) -> bool) -> bool {
    status.pipeline.stage.jobs.iter().any(pred)
}

/// The rule ids indexed under `name` (compared without regard to ASCII case) in
/// the hash table the macro built; the syntax crate owns its one layout.
#[inline]
pub fn lookup_ci(table: &'static [(&'static str, &'static [u32])], name: &str) -> &'static [u32] {
    notify_rules_syntax::index::lookup(table, name)
}

/// Calls `f` on the ids of both ascending lists in ascending order, until `f`
/// says stop; rule order and `stop` survive the index this way.
pub fn merge_ids(a: &[u32], b: &[u32], mut f: impl FnMut(u32) -> bool) {
    let (mut i, mut j) = (0, 0);
    loop {
        let id = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x <= y => {
                i += 1;
                if x == y {
                    j += 1;
                }
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => return,
        };
        if f(id) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_values() {
        assert!(glob("api-server", "api-*", true));
        assert!(glob("API-server", "api-*", true));
        assert!(!glob("API-server", "api-*", false));
        assert!(glob("a1c", "a?c", false));
        assert!(!glob("a12c", "a?c", false));
        assert!(glob("xay", "*a*", false));
        assert!(!glob("xy", "*a*", false));
        assert!(glob("", "*", false));
        assert!(glob("héllo", "h?llo", false));
        assert!(glob("aaab", "*a*b", false));
        assert!(!glob("aaa", "*a*b", false));
    }

    #[test]
    fn simple_matchers_respect_case_rules_and_char_boundaries() {
        assert!(starts_with("Deploy-prod", "deploy-", true));
        assert!(!starts_with("Deploy-prod", "deploy-", false));
        assert!(!starts_with("é", "x", true));
        assert!(ends_with("app-PROD", "-prod", true));
        assert!(!ends_with("ab", "abc", true));
        assert!(!ends_with("é", "\u{a9}", false));
        assert!(contains("my-API-server", "api", true));
        assert!(!contains("my-API-server", "api", false));
    }

    #[test]
    fn regexes_are_anchored() {
        let re = build_regex("sandbox-.*", true).unwrap();
        assert!(re.is_match("Sandbox-1"));
        assert!(!re.is_match("my-sandbox-1"));
        let re = build_regex("a|b", false).unwrap();
        assert!(!re.is_match("ab"));
    }

    #[test]
    fn merging_keeps_order_and_stops() {
        let mut seen = vec![];
        merge_ids(&[0, 3, 5], &[1, 4], |id| {
            seen.push(id);
            false
        });
        assert_eq!(seen, [0, 1, 3, 4, 5]);
        let mut seen = vec![];
        merge_ids(&[0, 3, 5], &[1, 4], |id| {
            seen.push(id);
            id == 3
        });
        assert_eq!(seen, [0, 1, 3]);
    }
}
