//! Cutting text to a service's limit: never refused, always on a character
//! boundary, and marked so that a reader knows something is missing.

use std::borrow::Cow;

/// What replaces the end of a text that was too long.
pub(crate) const MARKER: &str = "… (cut)";

/// `text` when it has at most `max` characters; else as many of its first
/// characters as leave room for [`MARKER`] within `max`, then the marker.
pub(crate) fn chars(text: &str, max: usize) -> Cow<'_, str> {
    // Counting stops at the limit: a long text is not walked twice.
    if text.chars().nth(max).is_none() {
        return Cow::Borrowed(text);
    }
    let keep = max.saturating_sub(MARKER.chars().count());
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    marked(&text[..end])
}

/// [`chars`] for a text whose `&` each start an entity (`&amp;`, `&lt;`):
/// an entity is kept whole or left out, never cut in two.
pub(crate) fn chars_entities(text: &str, max: usize) -> Cow<'_, str> {
    match chars(text, max) {
        Cow::Borrowed(whole) => Cow::Borrowed(whole),
        Cow::Owned(cut) => {
            let kept = &cut[..cut.len() - MARKER.len()];
            match kept.rfind('&') {
                Some(amp) if !kept[amp..].contains(';') => marked(&kept[..amp]),
                _ => Cow::Owned(cut),
            }
        }
    }
}

/// `text` when it has at most `max` bytes of UTF-8; else its longest start,
/// on a character boundary, that leaves room for [`MARKER`], then the marker.
pub(crate) fn bytes(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max.saturating_sub(MARKER.len()).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    marked(&text[..end])
}

/// The JSON body `build` makes from `text`, with `text` cut until the body
/// has at most `max` bytes. Each round removes at least as many bytes of
/// text as the body was over (a character is never shorter in JSON than in
/// UTF-8), so it ends in one or two rounds; if the rest of the body alone is
/// over, the text is cut to the marker and the body is what it is.
pub(crate) fn fit_body(
    text: &str,
    max: usize,
    build: impl Fn(&str) -> serde_json::Value,
) -> String {
    let mut body = build(text).to_string();
    let mut budget = text.len();
    while body.len() > max && budget > 0 {
        budget = budget.saturating_sub(body.len() - max + MARKER.len());
        body = build(&bytes(text, budget + MARKER.len())).to_string();
    }
    body
}

fn marked(kept: &str) -> Cow<'static, str> {
    let mut out = String::with_capacity(kept.len() + MARKER.len());
    out.push_str(kept);
    out.push_str(MARKER);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_kept_as_they_are() {
        assert!(matches!(chars("abc", 3), Cow::Borrowed("abc")));
        assert!(matches!(bytes("é", 2), Cow::Borrowed("é")));
        assert!(matches!(chars_entities("a&amp;b", 7), Cow::Borrowed(_)));
    }

    #[test]
    fn long_texts_end_with_the_marker_within_the_limit() {
        let text = "é".repeat(50);
        let cut = chars(&text, 20);
        assert_eq!(cut.chars().count(), 20);
        assert!(cut.ends_with(MARKER) && cut.starts_with("éé"), "{cut}");
        for max in 0..40 {
            let cut = bytes(&text, max + MARKER.len());
            assert!(cut.len() <= max + MARKER.len(), "{max}: {cut}");
            assert!(cut.ends_with(MARKER));
            // Two bytes a character: an odd budget keeps one byte less.
            assert_eq!(cut.len() - MARKER.len(), max - max % 2, "{max}");
        }
    }

    #[test]
    fn an_entity_is_never_cut_in_two() {
        // `&amp;` would be cut after `&am` at 12 characters.
        let text = "abcdef&amp;ghijklmnop";
        let cut = chars_entities(text, 6 + 3 + MARKER.chars().count());
        assert_eq!(cut, format!("abcdef{MARKER}"));
        let cut = chars_entities(text, 6 + 5 + MARKER.chars().count());
        assert_eq!(cut, format!("abcdef&amp;{MARKER}"));
    }

    #[test]
    fn a_body_is_fitted_by_cutting_its_text() {
        let build = |t: &str| serde_json::json!({ "text": t, "other": "x".repeat(100) });
        let text = "\"quoted\" ü ".repeat(500);
        for max in [200, 1000, 4000, 6500] {
            let body = fit_body(&text, max, build);
            assert!(body.len() <= max, "{max}: {}", body.len());
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let kept = v["text"].as_str().unwrap();
            assert!(kept.ends_with(MARKER), "{kept}");
            assert!(text.starts_with(kept.trim_end_matches(MARKER)));
        }
        let whole = fit_body("short", 1000, build);
        assert!(whole.contains("\"short\""), "{whole}");
        // The rest of the body alone is over: the text is cut to nothing.
        let body = fit_body(&text, 50, build);
        assert!(body.contains(&format!("\"{MARKER}\"")), "{body}");
    }
}
