//! Bad input never panics and never loops: random texts, every prefix of a
//! valid text, and valid texts with pieces cut out or pasted in. Every error
//! is rendered too, since the renderers index into the text.

use notify_rules_syntax::{parse_str, parse_template};
use proptest::prelude::*;

const VALID: &str = r##"// comment
target ops, releases, audit; /* nested /* block */ comment */
on stage "deploy" state Failed => send(ops, "Deploy failed: {pipeline.name} #{pipeline.counter}");
on pipeline "api-*" | "w?b" stage "test" broken => send(ops, "{pipeline.name} broke: {jobs.failed}");
on not group "release" branch regex("main|rel-.*") state Passed | Failed => send(releases), stop;
on label r#"1.0"# approved_by "maria" job "unit-*" Failed | Cancelled => send(audit, "é\t\u{e9}{{x}}");
on result Failed still_failing => send(audit);
on any => stop;
"##;

/// Parses, renders every error every way, and checks the error list is
/// consistent with the result.
fn exercise(src: &str) {
    match parse_str(src) {
        Ok(rules) => {
            let _ = format!("{rules:?}");
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "an error result holds errors: {src:?}");
            let file = errors.render_file("f.rules", src);
            assert_eq!(file.len(), errors.len());
            let check = errors.render_check("f.rules", src);
            assert!(check.starts_with("f.rules:"), "{check}");
            let _ = errors.render_plain(src);
            let shown = errors.to_string();
            for e in &errors {
                assert!(!e.message.is_empty());
                assert!(
                    e.loc.start <= src.len() && e.loc.end <= src.len(),
                    "{e:?} in {src:?}"
                );
                assert!(shown.contains(&e.message));
            }
        }
    }
}

#[test]
fn the_valid_text_is_valid() {
    parse_str(VALID).unwrap();
}

#[test]
fn every_prefix() {
    for (i, _) in VALID.char_indices() {
        exercise(&VALID[..i]);
    }
}

#[test]
fn every_single_character_removed() {
    for (i, c) in VALID.char_indices() {
        let mut s = VALID.to_owned();
        s.replace_range(i..i + c.len_utf8(), "");
        exercise(&s);
    }
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("on ".to_owned()),
        Just("target ".to_owned()),
        Just("not ".to_owned()),
        Just("stage ".to_owned()),
        Just("state ".to_owned()),
        Just("job ".to_owned()),
        Just("broken ".to_owned()),
        Just("Failed ".to_owned()),
        Just("=> ".to_owned()),
        Just("send(".to_owned()),
        Just("stop".to_owned()),
        Just("regex(".to_owned()),
        Just("if ".to_owned()),
        Just("|".to_owned()),
        Just(",".to_owned()),
        Just(";".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("\"".to_owned()),
        Just("r#\"".to_owned()),
        Just("\"#".to_owned()),
        Just("\\".to_owned()),
        Just("\\u{".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("/*".to_owned()),
        Just("*/".to_owned()),
        Just("//".to_owned()),
        Just("'".to_owned()),
        Just("\n".to_owned()),
        Just("é".to_owned()),
        "[a-z_]{1,8}".prop_map(|s| s + " "),
        "\"[^\"]{0,12}\"".prop_map(|s| s + " "),
        any::<char>().prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_fragments(parts in prop::collection::vec(fragment(), 0..40)) {
        exercise(&parts.concat());
    }

    #[test]
    fn random_text(src in "\\PC{0,200}") {
        exercise(&src);
    }

    #[test]
    fn mutated_valid_text(cut in 0..VALID.len(), len in 0usize..20, paste in fragment()) {
        let mut s = VALID.to_owned();
        let mut start = cut;
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + len).min(s.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.replace_range(start..end, &paste);
        exercise(&s);
    }

    #[test]
    fn random_templates(t in "[{}a-z._ é]{0,40}") {
        match parse_template(&t) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.offset < e.end && e.end <= t.len()),
        }
    }
}

/// Token input: whatever Rust's tokenizer accepts, the parser takes without
/// panicking.
#[cfg(feature = "codegen")]
mod tokens {
    use super::*;
    use notify_rules_syntax::parse_tokens;
    use proc_macro2::TokenStream;

    fn exercise_tokens(src: &str) {
        if let Ok(ts) = src.parse::<TokenStream>() {
            if let Err(errors) = parse_tokens(ts) {
                assert!(!errors.is_empty());
                let _ = errors.to_syn_error().to_compile_error();
            }
        }
    }

    #[test]
    fn every_prefix_as_tokens() {
        for (i, _) in VALID.char_indices() {
            exercise_tokens(&VALID[..i]);
        }
    }

    proptest! {
        #[test]
        fn random_fragments_as_tokens(parts in prop::collection::vec(fragment(), 0..40)) {
            exercise_tokens(&parts.concat());
        }
    }
}
