//! The lexer on its own.

use super::*;

fn kinds(src: &str) -> Vec<String> {
    lex(src)
        .tokens
        .iter()
        .map(|t| match &t.kind {
            Tok::Ident(s) => s.clone(),
            Tok::Str(s) => format!("{:?}", s.value),
            other => other.describe(),
        })
        .collect()
}

fn errors(src: &str) -> Vec<(String, usize, usize)> {
    lex(src)
        .errors
        .into_iter()
        .map(|e| (e.message, e.loc.start, e.loc.end))
        .collect()
}

#[test]
fn every_token_kind() {
    assert_eq!(
        kinds(r##"on stage "a" | r"b\n" => send(ops, r#"x"y"#); ,"##),
        [
            "on",
            "stage",
            "\"a\"",
            "`|`",
            "\"b\\\\n\"",
            "`=>`",
            "send",
            "`(`",
            "ops",
            "`,`",
            "\"x\\\"y\"",
            "`)`",
            "`;`",
            "`,`"
        ]
    );
}

#[test]
fn a_byte_order_mark_is_skipped() {
    assert_eq!(kinds("\u{feff}on any"), ["on", "any"]);
    assert_eq!(lex("\u{feff}on").tokens[0].loc.start, 3);
}

#[test]
fn comments_nest_and_vanish() {
    assert_eq!(
        kinds("a // b\n /* c /* d */ e */ f /**/ g"),
        ["a", "f", "g"]
    );
    assert!(errors("a // b\n /* c /* d */ e */ f").is_empty());
}

#[test]
fn escapes_decode_and_map_back_to_the_source() {
    let lexed = lex(r#""a\n\u{e9}\x41\"é\
          z""#);
    let Tok::Str(s) = &lexed.tokens[0].kind else {
        panic!("{:?}", lexed.tokens)
    };
    assert_eq!(s.value, "a\néA\"éz");
    let Offsets::Mapped(map) = &s.offsets else {
        panic!("{s:?}")
    };
    assert_eq!(map.len(), s.value.len() + 1);
    // `a` at 1, `\n` at 2, both bytes of `é` at the `\u` escape at 4.
    assert_eq!(&map[..5], [1, 2, 4, 4, 10]);
    assert_eq!(*map.last().unwrap(), lexed.tokens[0].loc.end - 1);
}

#[test]
fn raw_strings_keep_backslashes() {
    let lexed = lex(r##"r#"a\b"# r"""##);
    let Tok::Str(s) = &lexed.tokens[0].kind else {
        panic!()
    };
    assert_eq!(s.value, "a\\b");
    assert!(matches!(s.offsets, Offsets::Shifted(3)), "{s:?}");
    let Tok::Str(s) = &lexed.tokens[1].kind else {
        panic!()
    };
    assert_eq!(s.value, "");
}

#[test]
fn invisible_characters_are_named_by_code_point() {
    let e = errors("on any\u{0}\u{1b}[31m \u{202e} \\ => stop;");
    let messages: Vec<&str> = e.iter().map(|(m, _, _)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "unexpected character U+0000",
            "unexpected character U+001B",
            "unexpected character `[`",
            // `31m` is a number, which the parser reports where it is no
            // duration (see parser::tests).
            "unexpected character U+202E",
            "unexpected character `\\`",
        ]
    );
}

#[test]
fn bad_input_is_reported_and_lexing_goes_on() {
    let src = "a 42 { } \"x\\q\" 'c' b\"x\" r#x @ ok";
    let e = errors(src);
    let messages: Vec<&str> = e.iter().map(|(m, _, _)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "unexpected character `{`",
            "unexpected character `}`",
            "unknown escape `\\q`",
            "expected a string literal, found a character literal",
            "expected a string literal, found a byte string literal",
            "unexpected `r#x`",
            "unexpected character `@`",
        ]
    );
    assert_eq!((e[0].1, e[0].2), (5, 6));
    assert_eq!((e[2].1, e[2].2), (11, 13));
    assert_eq!(kinds(src).last().map(String::as_str), Some("ok"));
}

#[test]
fn unterminated_things_point_at_their_start() {
    assert_eq!(
        errors("a \"bc"),
        [("unterminated string literal".to_string(), 2, 3)]
    );
    assert_eq!(
        errors("a /* b /* */"),
        [("unterminated block comment".to_string(), 2, 4)]
    );
    assert_eq!(
        errors("r#\"abc\""),
        [("unterminated raw string literal".to_string(), 0, 3)]
    );
    assert_eq!(
        errors("\"a\\"),
        [
            (
                "unterminated escape at the end of the text".to_string(),
                2,
                3
            ),
            ("unterminated string literal".to_string(), 0, 1)
        ]
    );
}

#[test]
fn a_suffix_on_a_string_is_an_error() {
    assert_eq!(
        errors("\"a\"b"),
        [(
            "unexpected suffix `b` on a string literal".to_string(),
            3,
            4
        )]
    );
}
