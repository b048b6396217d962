//! The `rules!` and `rules_file!` macros of notify-rules.
//!
//! Use them through the `notify-rules` crate, which re-exports them and holds the
//! types their expansion refers to. All the work happens on `proc_macro2` types in
//! `notify-rules-syntax`, where it is unit-tested; this crate only connects it to
//! the compiler.

use proc_macro::TokenStream;

/// Compiles a block of rules into an expression of type `notify_rules::RuleSet`.
///
/// See the `notify-rules` crate for the language and examples.
#[proc_macro]
pub fn rules(input: TokenStream) -> TokenStream {
    notify_rules_syntax::expand::rules(input.into()).into()
}

/// Compiles a rule file, named relative to the calling crate's `Cargo.toml`, into
/// an expression of type `notify_rules::RuleSet`. Editing the file rebuilds the
/// crate.
#[proc_macro]
pub fn rules_file(input: TokenStream) -> TokenStream {
    notify_rules_syntax::expand::rules_file(input.into()).into()
}
