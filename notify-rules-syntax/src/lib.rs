//! The notify-rules rule language: lexer, parser, syntax tree and checks.
//!
//! One grammar and one set of error messages serve the `rules!` and
//! `rules_file!` macros (through the `codegen` feature) and run-time loading
//! (`notify_rules::RuleSet::parse`).
//!
//! ```
//! let rules = notify_rules_syntax::parse_str(
//!     r#"target ops; on stage "deploy" state Failed => send(ops);"#,
//! ).unwrap();
//! assert_eq!(rules.rules.len(), 1);
//!
//! let errors = notify_rules_syntax::parse_str("target ops; on state Faild => send(ops);").unwrap_err();
//! assert_eq!(errors.len(), 1);
//! ```
#![warn(missing_docs)]

pub mod ast;
mod check;
mod error;
#[cfg(feature = "codegen")]
pub mod expand;
pub mod index;
mod lang;
mod lexer;
mod parser;
mod span;
mod suggest;
mod template;
#[cfg(feature = "codegen")]
mod tokens;
pub mod window;

pub use ast::Loc;
pub use check::build_regex;
pub use error::{line_col, Error, Errors, Lines};
pub use template::{parse_template, parse_template_any, TemplateError};

/// Parses and checks a rule text (a rule file, or text loaded at run time).
///
/// Every error is collected; `if` guards are an error here, since Rust
/// expressions exist only inside `rules!`.
pub fn parse_str(src: &str) -> Result<ast::Rules, Errors> {
    parser::parse(lexer::lex(src), parser::Input::Text, Some(src)).map_err(|e| e.with_source(src))
}

/// Parses and checks the tokens of a `rules! { ... }` invocation.
#[cfg(feature = "codegen")]
pub fn parse_tokens(input: proc_macro2::TokenStream) -> Result<ast::Rules, Errors> {
    span::start_table();
    parser::parse(tokens::convert(input), parser::Input::Tokens, None)
}
