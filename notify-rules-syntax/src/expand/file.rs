//! `rules_file!`: reading the file at compile time, relative to the calling
//! crate's manifest, and reporting errors at `file:line:col`.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;

use super::{gen, with_placeholder};

pub(super) fn expand(pv: &TokenStream, input: TokenStream) -> TokenStream {
    let lit: syn::LitStr = match syn::parse2(input) {
        Ok(lit) => lit,
        Err(_) => {
            let err = syn::Error::new(
                Span::call_site(),
                "rules_file! takes one string literal: the rule file's path relative to Cargo.toml, \
                 like rules_file!(\"rules/team.rules\")",
            );
            return with_placeholder(pv, err.to_compile_error(), TokenStream::new());
        }
    };
    let rel = lit.value();
    let span = lit.span();
    let fail = |msg: String| {
        with_placeholder(
            pv,
            syn::Error::new(span, msg).to_compile_error(),
            TokenStream::new(),
        )
    };

    if Path::new(&rel).is_absolute() || rel.starts_with('/') || rel.starts_with('\\') {
        return fail(format!(
            "rules_file! takes a path relative to the crate's Cargo.toml, not the absolute path `{rel}`\n  \
             = help: write it relative to the directory that holds Cargo.toml, like \"rules/team.rules\""
        ));
    }
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return fail(
            "rules_file! needs CARGO_MANIFEST_DIR, which cargo sets when it builds a crate".into(),
        );
    };
    let full = PathBuf::from(dir).join(&rel);
    let src = match std::fs::read_to_string(&full) {
        Ok(src) => src,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut msg = format!(
                "rule file `{rel}` does not exist (looked for {})",
                full.display()
            );
            if let Some(near) = nearby_file(&full) {
                msg.push_str(&format!("\n  = help: did you mean `{near}`?"));
            }
            return fail(msg);
        }
        Err(e) => return fail(format!("cannot read rule file `{rel}`: {e}")),
    };
    // Cargo rebuilds the crate when a file that `include_bytes!` read changes,
    // also after an error, so fixing the file is enough.
    let path_lit = full.to_string_lossy().into_owned();
    let track = quote! { const _: &[u8] = ::core::include_bytes!(#path_lit); };
    match crate::parse_str(&src) {
        Ok(rules) => gen::rule_set(pv, &rules, track),
        Err(errors) => {
            let mut combined: Option<syn::Error> = None;
            for text in errors.render_file(&rel, &src) {
                let e = syn::Error::new(span, text);
                match &mut combined {
                    Some(c) => c.combine(e),
                    None => combined = Some(e),
                }
            }
            let errs = combined.map(|c| c.to_compile_error()).unwrap_or_default();
            with_placeholder(pv, errs, track)
        }
    }
}

/// A file in the same directory with a close name, for "did you mean".
fn nearby_file(full: &Path) -> Option<String> {
    let wanted = full.file_name()?.to_str()?;
    let dir = full.parent()?;
    let mut best: Option<(f64, String)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let score = strsim::jaro_winkler(wanted, name);
        if score > 0.85 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((score, name.to_owned()));
        }
    }
    best.map(|(_, n)| n)
}
