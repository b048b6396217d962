//! Token input: the tokens of `rules! { ... }` turned into the lexer's tokens,
//! each at its span, with `if` guards parsed as Rust expressions.

use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};

use crate::ast::Loc;
use crate::error::Error;
use crate::lexer::{Lexed, Offsets, StrLit, Tok, Token};

/// Converts a `rules!` body. Never fails: what is not a token of the rule
/// language is reported and skipped.
pub(crate) fn convert(input: TokenStream) -> Lexed {
    let mut out = Lexed::default();
    convert_into(input, &mut out);
    out.end = out.tokens.last().map(|t| t.loc);
    out
}

fn push(out: &mut Lexed, kind: Tok, span: Span) {
    out.tokens.push(Token {
        kind,
        loc: Loc::span(span),
    });
}

fn error(out: &mut Lexed, message: impl Into<String>, span: Span, help: Option<&str>) {
    let mut e = Error::new(message, Loc::span(span));
    e.help = help.map(str::to_owned);
    out.errors.push(e);
    push(out, Tok::Bad, span);
}

fn convert_into(input: TokenStream, out: &mut Lexed) {
    let mut trees: Vec<TokenTree> = input.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                let name = name.strip_prefix("r#").map(str::to_owned).unwrap_or(name);
                if name == "if" {
                    let rest: TokenStream = trees[i + 1..].iter().cloned().collect();
                    match parse_guard(rest) {
                        Ok((expr, rest)) => {
                            push(out, Tok::Guard(expr), ident.span());
                            trees = rest.into_iter().collect();
                            i = 0;
                            continue;
                        }
                        Err(e) => {
                            out.errors.push(
                                Error::new(format!("expected a Rust expression after `if`: {e}"), Loc::span(e.span()))
                                    .with_help("a guard is a path to a `fn(&StageStatus) -> bool`, or a closure that captures nothing, like `if |s| s.pipeline.counter > 3`"),
                            );
                        }
                    }
                }
                push(out, Tok::Ident(name), ident.span());
            }
            TokenTree::Punct(p) => {
                let next = trees.get(i + 1);
                match p.as_char() {
                    '=' if p.spacing() == Spacing::Joint
                        && matches!(next, Some(TokenTree::Punct(q)) if q.as_char() == '>') =>
                    {
                        let span =
                            next.map_or(p.span(), |n| p.span().join(n.span()).unwrap_or(p.span()));
                        push(out, Tok::FatArrow, span);
                        i += 1;
                    }
                    '=' if p.spacing() == Spacing::Alone => push(out, Tok::Eq, p.span()),
                    '|' => push(out, Tok::Pipe, p.span()),
                    ',' => push(out, Tok::Comma, p.span()),
                    ';' => push(out, Tok::Semi, p.span()),
                    // Doc comments (`///`, `//!`) arrive as `#[doc = "..."]`; as
                    // in a rule file, they are comments.
                    '#' if is_doc_attribute(&trees[i + 1..]) => {
                        i += if matches!(next, Some(TokenTree::Punct(q)) if q.as_char() == '!') {
                            2
                        } else {
                            1
                        };
                    }
                    c => {
                        let help = match c {
                            '=' | '>' | '-' => Some("a rule separates its clauses from its actions with `=>`"),
                            '&' => Some("the clauses of a rule all have to match; write them one after another"),
                            _ => None,
                        };
                        error(out, format!("unexpected `{c}`"), p.span(), help);
                    }
                }
            }
            TokenTree::Literal(lit) => literal(out, TokenTree::Literal(lit.clone())),
            TokenTree::Group(g) => {
                match g.delimiter() {
                    Delimiter::Parenthesis => {
                        push(out, Tok::Open, g.span_open());
                        convert_into(g.stream(), out);
                        push(out, Tok::Close, g.span_close());
                    }
                    // Invisible groups come from `macro_rules!` substitutions.
                    Delimiter::None => convert_into(g.stream(), out),
                    Delimiter::Brace | Delimiter::Bracket => {
                        let (open, close) = if g.delimiter() == Delimiter::Brace {
                            ('{', '}')
                        } else {
                            ('[', ']')
                        };
                        error(
                        out,
                        format!("unexpected `{open}...{close}`"),
                        g.span(),
                        Some("only parentheses group things, as in `send(ops)` and `regex(\"...\")`"),
                    );
                    }
                }
            }
        }
        i += 1;
    }
}

/// Whether `rest` (just after a `#`) is `[doc ...]` or `![doc ...]`.
fn is_doc_attribute(rest: &[TokenTree]) -> bool {
    let rest = match rest.first() {
        Some(TokenTree::Punct(p)) if p.as_char() == '!' => &rest[1..],
        _ => rest,
    };
    match rest.first() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => {
            matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "doc")
        }
        _ => false,
    }
}

fn literal(out: &mut Lexed, tree: TokenTree) {
    let span = tree.span();
    let found = match syn::parse2::<syn::Lit>(tree.into()) {
        Ok(syn::Lit::Str(s)) if s.suffix().is_empty() => {
            push(
                out,
                Tok::Str(StrLit {
                    value: s.value(),
                    offsets: Offsets::Unknown,
                }),
                span,
            );
            return;
        }
        Ok(syn::Lit::Str(s)) => format!("a string literal with the suffix `{}`", s.suffix()),
        Ok(syn::Lit::ByteStr(_)) => "a byte string literal".into(),
        Ok(syn::Lit::CStr(_)) => "a C string literal".into(),
        Ok(syn::Lit::Byte(_)) => "a byte literal".into(),
        Ok(syn::Lit::Char(_)) => "a character literal".into(),
        Ok(syn::Lit::Int(i)) => {
            // A duration where the parser expects one; a mistake elsewhere.
            let text = i.to_token_stream().to_string();
            push(out, Tok::Number(crate::lexer::NumLit::new(&text)), span);
            return;
        }
        Ok(syn::Lit::Float(f)) => format!("the number `{f}`", f = f.to_token_stream()),
        Ok(other) => format!("`{}`", other.to_token_stream()),
        Err(_) => "an unreadable literal".into(),
    };
    error(
        out,
        format!("expected a string literal, found {found}"),
        span,
        Some("patterns and messages are plain string literals, like \"deploy\""),
    );
}

/// Parses one expression from the front of `input`; returns its tokens and
/// what follows it. `syn` stops before `=>` and before a word that cannot go
/// on the expression, such as the next clause word.
fn parse_guard(input: TokenStream) -> syn::Result<(TokenStream, TokenStream)> {
    let parser = |stream: ParseStream<'_>| -> syn::Result<(TokenStream, TokenStream)> {
        if stream.is_empty() || stream.peek(syn::Token![=>]) {
            return Err(stream.error("the guard is missing"));
        }
        let expr = syn::Expr::parse_without_eager_brace(stream)?;
        let rest: TokenStream = stream.parse()?;
        Ok((expr.into_token_stream(), rest))
    };
    parser.parse2(input)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn kinds(ts: TokenStream) -> Vec<String> {
        names(&convert(ts).tokens)
    }

    fn names(tokens: &[Token]) -> Vec<String> {
        tokens
            .iter()
            .map(|t| match &t.kind {
                Tok::Ident(s) => s.clone(),
                Tok::Str(s) => format!("{:?}", s.value),
                Tok::Guard(g) => format!("if {g}"),
                other => other.describe(),
            })
            .collect()
    }

    #[test]
    fn tokens_match_the_lexer_s() {
        // The same rule as Rust tokens and as file text: the parser must see one
        // token stream whichever way the rules came.
        let from_rust = convert(quote! { on stage "a" | r"b\n" => send(ops, "x\ty"); });
        let from_text = crate::lexer::lex(r#"on stage "a" | r"b\n" => send(ops, "x\ty");"#);
        assert!(from_rust.errors.is_empty() && from_text.errors.is_empty());
        assert_eq!(names(&from_rust.tokens), names(&from_text.tokens));
        assert_eq!(from_rust.tokens.len(), 13);
    }

    #[test]
    fn guards_take_one_expression() {
        assert_eq!(
            kinds(quote! { on if is_release stage "x" => stop; }),
            [
                "on",
                "if is_release",
                "stage",
                "\"x\"",
                "`=>`",
                "stop",
                "`;`"
            ]
        );
        assert_eq!(
            kinds(quote! { on if |s| s.pipeline.counter > 3 => stop; }),
            [
                "on",
                "if | s | s . pipeline . counter > 3",
                "`=>`",
                "stop",
                "`;`"
            ]
        );
        assert_eq!(
            kinds(quote! { on if a::b || c => stop; }),
            ["on", "if a :: b || c", "`=>`", "stop", "`;`"]
        );
    }

    #[test]
    fn a_missing_guard_is_an_error_and_the_rest_is_kept() {
        let lexed = convert(quote! { on if => stop; });
        assert_eq!(lexed.errors.len(), 1);
        assert!(
            lexed.errors[0]
                .message
                .starts_with("expected a Rust expression after `if`"),
            "{:?}",
            lexed.errors
        );
        assert_eq!(
            kinds(quote! { on if => stop; }),
            ["on", "if", "`=>`", "stop", "`;`"]
        );
    }

    #[test]
    fn other_literals_and_braces_are_errors() {
        let lexed = convert(quote! { on stage b"x" 'c' 42 1.5 "s"suffix {x} [y] @ ok });
        let messages: Vec<&str> = lexed.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "expected a string literal, found a byte string literal",
                "expected a string literal, found a character literal",
                // `42` is a number token: a duration, or the parser's error.
                "expected a string literal, found the number `1.5`",
                "expected a string literal, found a string literal with the suffix `suffix`",
                "unexpected `{...}`",
                "unexpected `[...]`",
                "unexpected `@`",
            ]
        );
        assert_eq!(
            lexed.tokens.last().map(|t| t.kind.describe()),
            Some("`ok`".into())
        );
    }

    #[test]
    fn doc_comments_are_comments_and_invisible_groups_open() {
        let inner: TokenStream = quote! { stage "x" };
        let group = proc_macro2::Group::new(Delimiter::None, inner);
        let ts = quote! {
            /// A doc comment.
            on #group => stop;
        };
        assert_eq!(kinds(ts), ["on", "stage", "\"x\"", "`=>`", "stop", "`;`"]);
    }
}
