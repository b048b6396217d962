//! Code generation for `rules!` and `rules_file!`.
//!
//! Everything works on `proc_macro2` types so it can be unit-tested. The output
//! refers to the runtime only through `::notify_rules::__private`, so it compiles
//! under `#![no_implicit_prelude]` and needs no imports at the call site.

mod file;
mod gen;

use proc_macro2::TokenStream;
use quote::quote;

/// Expands `rules! { ... }`.
pub fn rules(input: TokenStream) -> TokenStream {
    match crate::parse_tokens(input) {
        Ok(rules) => gen::rule_set(&rules, TokenStream::new()),
        Err(errors) => with_placeholder(errors.to_syn_error().to_compile_error(), TokenStream::new()),
    }
}

/// Expands `rules_file!("path")`.
pub fn rules_file(input: TokenStream) -> TokenStream {
    file::expand(input)
}

/// The errors next to a `RuleSet` of the right type, so one mistake in the rules
/// does not turn into type errors wherever the value is used.
fn with_placeholder(errors: TokenStream, extra: TokenStream) -> TokenStream {
    quote! {
        {
            #extra
            #errors
            ::notify_rules::__private::RuleSet::__placeholder()
        }
    }
}

#[cfg(test)]
mod tests;
