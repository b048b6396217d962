//! "Did you mean ...?": the valid word closest to a mistyped one.

/// The candidate closest to `word`, if one is close enough to be what was
/// meant: equal but for ASCII case or surrounding spaces, or a few edits away
/// (a third of the candidate's length, at least one; a swap of two neighbouring
/// characters counts as one edit).
pub(crate) fn suggest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let word = word.trim();
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand.eq_ignore_ascii_case(word) {
            return Some(cand);
        }
        let dist = strsim::damerau_levenshtein(&lower, &cand.to_ascii_lowercase());
        let limit = (cand.chars().count() / 3).max(1);
        if dist <= limit && best.is_none_or(|(d, _)| dist < d) {
            best = Some((dist, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `x`?` for the closest candidate.
pub(crate) fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    suggest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// `a, b, c` for the candidates, for "expected one of ..." messages.
pub(crate) fn list<'a, I>(items: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    items
        .into_iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAUSES: &[&str] = crate::ast::ClauseKind::WORDS;

    #[test]
    fn typos_find_their_word() {
        assert_eq!(suggest("stgae", CLAUSES.iter().copied()), Some("stage"));
        assert_eq!(
            suggest("aproved_by", CLAUSES.iter().copied()),
            Some("approved_by")
        );
        assert_eq!(suggest("Stage", CLAUSES.iter().copied()), Some("stage"));
        assert_eq!(suggest("Faild", ["Passed", "Failed"]), Some("Failed"));
        assert_eq!(suggest("failed", ["Failing", "Failed"]), Some("Failed"));
        assert_eq!(suggest("sned", ["send", "stop"]), Some("send"));
        assert_eq!(suggest(" link ", ["link"]), Some("link"));
    }

    #[test]
    fn far_words_find_nothing() {
        assert_eq!(suggest("deploy", CLAUSES.iter().copied()), None);
        assert_eq!(suggest("xyz", ["on", "target"]), None);
        assert_eq!(suggest("", ["on"]), None);
    }

    #[test]
    fn lists_quote_each_word() {
        assert_eq!(list(["a", "b"]), "`a`, `b`");
    }
}
