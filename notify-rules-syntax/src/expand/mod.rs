//! Code generation for `rules!` and `rules_file!`.
//!
//! Everything works on `proc_macro2` types so it can be unit-tested. The output
//! refers to the runtime only through `$crate::__private`: the `macro_rules!`
//! wrappers in `notify-rules` pass `[$crate]` in front of the input, so the
//! expansion compiles under `#![no_implicit_prelude]`, needs no imports at the
//! call site, and keeps working when the user renames the crate.

mod file;
mod gen;
#[cfg(test)]
mod tests;
mod time;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

/// Expands `rules! { ... }`; the input is `[CRATE_PATH] RULES`.
pub fn rules(input: TokenStream) -> TokenStream {
    let (pv, input) = split_crate_path(input);
    match crate::parse_tokens(input) {
        Ok(rules) => gen::rule_set(&pv, &rules, TokenStream::new()),
        Err(errors) => with_placeholder(
            &pv,
            errors.to_syn_error().to_compile_error(),
            TokenStream::new(),
        ),
    }
}

/// Expands `rules_file!("path")`; the input is `[CRATE_PATH] "path"`.
pub fn rules_file(input: TokenStream) -> TokenStream {
    let (pv, input) = split_crate_path(input);
    file::expand(&pv, input)
}

/// Splits the `[$crate]` group that the wrappers put in front off the input and
/// gives back `$crate::__private` and the rest.
fn split_crate_path(input: TokenStream) -> (TokenStream, TokenStream) {
    let mut iter = input.clone().into_iter();
    if let Some(TokenTree::Group(g)) = iter.next() {
        if g.delimiter() == Delimiter::Bracket {
            let path = g.stream();
            return (quote!(#path::__private), iter.collect());
        }
    }
    // Called directly rather than through the wrappers: assume the usual name.
    (quote!(::notify_rules::__private), input)
}

/// The errors next to a `RuleSet` of the right type, so one mistake in the rules
/// does not turn into type errors wherever the value is used.
fn with_placeholder(pv: &TokenStream, errors: TokenStream, extra: TokenStream) -> TokenStream {
    quote! {
        {
            #extra
            #errors
            #pv::RuleSet::__placeholder()
        }
    }
}
