//! The time forms of compiled rules: a static table (`__TIME`) the runtime
//! reads into the same values as the interpreter makes from the syntax tree.
//! Rules without time forms get none, and their code is what it was.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{self, Action, Rules, Timing};

/// The `static __TIME` item and the `.__with_time(..)` call, or nothing when
/// the rules have no time form.
pub(super) fn table(pv: &TokenStream, rules: &Rules) -> (TokenStream, TokenStream) {
    let (stage_ids, agent_ids) = rules.identities();
    let stage: Vec<TokenStream> = rules
        .rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| rule(pv, rules, (i, stage_ids[i]), &r.actions, &r.timing, false))
        .collect();
    let agent: Vec<TokenStream> = rules
        .agent_rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| rule(pv, rules, (i, agent_ids[i]), &r.actions, &r.timing, true))
        .collect();
    if rules.windows.is_empty() && stage.is_empty() && agent.is_empty() {
        return (TokenStream::new(), TokenStream::new());
    }
    let windows = rules.windows.iter().map(|w| {
        let name = w.name.name.as_str();
        let zone = w.zone.as_str();
        let parts = w.spec.parts.iter().map(|p| {
            let (d, s, e) = (p.days, p.start, p.end);
            quote!((#d, #s, #e))
        });
        quote!(#pv::WindowMeta { name: #name, parts: &[#(#parts),*], zone: #zone })
    });
    let (n_stage, n_agent) = (rules.rules.len(), rules.agent_rules.len());
    let item = quote! {
        static __TIME: #pv::TimeMeta = #pv::TimeMeta {
            windows: &[#(#windows),*],
            stage: &[#(#stage),*],
            agent: &[#(#agent),*],
            counts: (#n_stage, #n_agent),
        };
    };
    (item, quote!(.__with_time(&__TIME)))
}

/// One rule's row (by its index and identity), or `None` for a rule
/// without time forms.
fn rule(
    pv: &TokenStream,
    rules: &Rules,
    (index, identity): (usize, u32),
    actions: &[Action],
    timing: &Timing,
    agent: bool,
) -> Option<TokenStream> {
    let reminds: Vec<TokenStream> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Remind {
                target,
                after,
                template,
                ..
            } => {
                let name = target.name.as_str();
                let secs = after.secs;
                let text = ast::remind_message(template.as_ref()).to_source();
                let own = template.is_some();
                Some(quote!((#name, #secs, #text, #own)))
            }
            _ => None,
        })
        .collect();
    if timing.is_empty() && reminds.is_empty() {
        return None;
    }
    let suppressed = ast::suppressed_sends(actions, agent)
        .into_iter()
        .map(|(a, t)| {
            let text = t.to_source();
            quote!((#a, #text))
        });
    let rule = index as u32;
    let every = timing.every.map_or(0, |d| d.secs);
    let during = match timing
        .during
        .as_ref()
        .and_then(|d| rules.windows.iter().position(|w| w.name.name == d.name))
    {
        Some(i) => {
            let i = i as u32;
            quote!(#pv::Some(#i))
        }
        None => quote!(#pv::None),
    };
    Some(quote! {
        #pv::RuleTimeMeta {
            rule: #rule,
            identity: #identity,
            every: #every,
            during: #during,
            reminds: &[#(#reminds),*],
            suppressed: &[#(#suppressed),*],
        }
    })
}
