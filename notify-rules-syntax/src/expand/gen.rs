//! Turning a checked syntax tree into plain Rust over the typed model.
//!
//! Small rule sets become one `if` per rule, in order. Large ones get an index
//! from lower-cased exact pipeline names to rule ids (a hash table built here,
//! see [`crate::index`]), so a notification only tries the rules that can match
//! it; rule order and `stop` are kept by merging the indexed ids with the ids
//! of rules that have no such key.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::ast::{
    Action, AgentCondition, AgentRule, Clause, Condition, Field, Name, Pattern, PatternKind, Piece,
    Rule, Rules, Template,
};
use crate::index::{NameIndex, INDEX_FROM};

struct Gen {
    /// The runtime's private module, `$crate::__private` as the caller saw it.
    pv: TokenStream,
    /// `static __REn` items, one per regex pattern.
    regexes: Vec<TokenStream>,
    /// Guard expressions, in order of appearance.
    guards: Vec<TokenStream>,
    /// Guard expressions of agent rules, over `&AgentStatus`.
    agent_guards: Vec<TokenStream>,
    /// The templates more than one action uses, by id.
    repeated: HashMap<Template, u32>,
}

pub(super) fn rule_set(pv: &TokenStream, rules: &Rules, extra: TokenStream) -> TokenStream {
    let mut g = Gen {
        pv: pv.clone(),
        regexes: Vec::new(),
        guards: Vec::new(),
        agent_guards: Vec::new(),
        repeated: rules.repeated_templates(),
    };
    let bodies: Vec<(TokenStream, TokenStream)> = rules
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (g.condition(r), g.actions(&r.actions, i, false)))
        .collect();
    let with_agent = g.agent_rules(&rules.agent_rules);
    let (time_item, with_time) = super::time::table(pv, rules);

    let targets = rules.targets.iter().map(|t| t.name.as_str());
    let stage_actions = rules.rules.iter().map(|r| &r.actions);
    let agent_actions = rules.agent_rules.iter().map(|r| &r.actions);
    let uses_link = stage_actions.chain(agent_actions).any(|actions| {
        actions.iter().any(|a| match a {
            Action::Send {
                template: Some(t), ..
            } => t.pieces.contains(&Piece::Field(Field::Link)),
            _ => false,
        })
    });
    let rule_count = rules.rules.len();

    let (items, body) = if rule_count >= INDEX_FROM {
        indexed(pv, rules, &bodies)
    } else {
        (TokenStream::new(), sequential(rules, &bodies))
    };

    let regexes = &g.regexes;
    let guard_count = g.guards.len();
    let guards = g.guards.iter();
    let agent_guard_count = g.agent_guards.len();
    let agent_guards = g.agent_guards.iter();
    quote! {
        {
            #extra
            // A closure that captures a variable cannot coerce to a `fn` pointer;
            // the compiler says so here, at the guard.
            let __guards: [fn(&#pv::StageStatus) -> bool; #guard_count] = [#(#guards),*];
            let __agent_guards: [fn(&#pv::AgentStatus) -> bool; #agent_guard_count] =
                [#(#agent_guards),*];
            #[allow(unused_variables, unused_mut, unreachable_code, non_upper_case_globals, clippy::all, clippy::pedantic, clippy::nursery)]
            fn __notify_rules(
                __guards: [fn(&#pv::StageStatus) -> bool; #guard_count],
                __agent_guards: [fn(&#pv::AgentStatus) -> bool; #agent_guard_count],
            ) -> #pv::RuleSet {
                static __META: #pv::Meta = #pv::Meta {
                    targets: &[#(#targets),*],
                    uses_link: #uses_link,
                    rule_count: #rule_count,
                };
                #time_item
                #(#regexes)*
                #items
                #pv::RuleSet::__compiled(
                    &__META,
                    move |__ev: &mut #pv::Eval<'_>| {
                        let __s: &#pv::StageStatus = __ev.status;
                        let __p = &__s.pipeline;
                        let __st = &__p.stage;
                        #body
                    },
                )
                #with_agent
                #with_time
            }
            __notify_rules(__guards, __agent_guards)
        }
    }
}

/// One `if` per rule, top to bottom; a rule that stops returns.
fn sequential(rules: &Rules, bodies: &[(TokenStream, TokenStream)]) -> TokenStream {
    let arms = rules.rules.iter().zip(bodies).map(|(rule, (cond, acts))| {
        let ret = if rule.stops() {
            quote!(return;)
        } else {
            TokenStream::new()
        };
        quote! {
            if #cond {
                #acts
                #ret
            }
        }
    });
    quote!(#(#arms)*)
}

/// Items for a large rule set (one small function per rule, a table of them,
/// and the index) and the evaluation body that dispatches through the index.
///
/// One function per rule keeps every function small: the compiler's time and
/// memory grow with function size, and a single 10 000-arm function does not
/// fit in memory in an optimised build.
fn indexed(
    pv: &TokenStream,
    rules: &Rules,
    bodies: &[(TokenStream, TokenStream)],
) -> (TokenStream, TokenStream) {
    let NameIndex { slots, unkeyed } = NameIndex::of(rules);
    let entries = slots.iter().map(|(k, ids)| quote!((#k, &[#(#ids),*])));
    let names: Vec<proc_macro2::Ident> = (0..rules.rules.len())
        .map(|i| format_ident!("__r{}", i))
        .collect();
    let fns = rules
        .rules
        .iter()
        .zip(bodies)
        .zip(&names)
        .map(|((rule, (cond, acts)), name)| {
            let stop = rule.stops();
            quote! {
                fn #name(__ev: &mut #pv::Eval<'_>, __guards: &[__Guard]) -> bool {
                    let __s: &#pv::StageStatus = __ev.status;
                    let __p = &__s.pipeline;
                    let __st = &__p.stage;
                    if #cond {
                        #acts
                        return #stop;
                    }
                    false
                }
            }
        });
    let items = quote! {
        type __Guard = fn(&#pv::StageStatus) -> bool;
        #(#fns)*
        static __RULES: &[fn(&mut #pv::Eval<'_>, &[__Guard]) -> bool] = &[#(#names),*];
        static __INDEX: &[(&str, &[u32])] = &[#(#entries),*];
        static __UNKEYED: &[u32] = &[#(#unkeyed),*];
    };
    let body = quote! {
        let __keyed = #pv::lookup_ci(__INDEX, &__p.name);
        #pv::merge_ids(__UNKEYED, __keyed, |__id: u32| __RULES[__id as usize](__ev, &__guards));
    };
    (items, body)
}

impl Gen {
    /// `.__with_agent(...)`: the agent rules' function, one `if` per rule;
    /// nothing when there are none.
    fn agent_rules(&mut self, rules: &[AgentRule]) -> TokenStream {
        if rules.is_empty() {
            return TokenStream::new();
        }
        let pv = self.pv.clone();
        let arms: Vec<TokenStream> = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let cond = self.all_of(&rule.clauses, Gen::agent_clause);
                let acts = self.actions(&rule.actions, i, true);
                let ret = if rule.stops() {
                    quote!(return;)
                } else {
                    TokenStream::new()
                };
                quote! {
                    if #cond {
                        #acts
                        #ret
                    }
                }
            })
            .collect();
        let count = rules.len();
        quote! {
            .__with_agent(#count, move |__ev: &mut #pv::AgentEval<'_>| {
                let __a: &#pv::AgentStatus = __ev.status;
                #(#arms)*
            })
        }
    }

    fn agent_clause(&mut self, cond: &AgentCondition) -> TokenStream {
        let pv = &self.pv.clone();
        let ci = cond.kind().ignores_case();
        match cond {
            AgentCondition::Host(p) => self.optional(p, quote!(__a.host_name.as_deref()), ci),
            AgentCondition::Ip(p) => self.optional(p, quote!(__a.ip_address.as_deref()), ci),
            AgentCondition::Os(p) => self.optional(p, quote!(__a.operating_system.as_deref()), ci),
            AgentCondition::State(s) => one_of(quote!(__a.agent_state), quote!(#pv::AgentState), s),
            AgentCondition::BuildState(s) => {
                one_of(quote!(__a.build_state), quote!(#pv::BuildState), s)
            }
            AgentCondition::Config(s) => one_of(
                quote!(__a.agent_config_state),
                quote!(#pv::AgentConfigState),
                s,
            ),
            AgentCondition::Elastic => quote!(__a.is_elastic),
            AgentCondition::Lost => agent_transition(pv, quote!(Lost)),
            AgentCondition::Back => agent_transition(pv, quote!(Back)),
            AgentCondition::Guard(expr) => {
                let i = self.agent_guards.len();
                self.agent_guards.push(guard(expr));
                quote!((__agent_guards[#i])(__a))
            }
        }
    }

    /// The rule's clauses joined with `&&`.
    fn condition(&mut self, rule: &Rule) -> TokenStream {
        self.all_of(&rule.clauses, Gen::clause)
    }

    /// Clauses joined with `&&`, each tested by `test`.
    fn all_of<C>(
        &mut self,
        clauses: &[Clause<C>],
        test: fn(&mut Gen, &C) -> TokenStream,
    ) -> TokenStream {
        let parts: Vec<TokenStream> = clauses
            .iter()
            .map(|c| {
                let test = test(self, &c.condition);
                if c.negated {
                    quote!(!(#test))
                } else {
                    test
                }
            })
            .collect();
        join(parts, quote!(&&), quote!(true))
    }

    fn clause(&mut self, cond: &Condition) -> TokenStream {
        let pv = &self.pv.clone();
        let v = quote!(__v);
        let ci = cond.kind().ignores_case();
        match cond {
            Condition::Pipeline(p) => self.patterns(p, quote!(__p.name.as_str()), ci),
            Condition::Stage(p) => self.patterns(p, quote!(__st.name.as_str()), ci),
            Condition::Group(p) => self.optional(p, quote!(__p.group.as_deref()), ci),
            Condition::Label(p) => self.optional(p, quote!(__p.label.as_deref()), ci),
            Condition::ApprovedBy(p) => self.optional(p, quote!(__st.approved_by.as_deref()), ci),
            Condition::Branch(p) => {
                let test = self.patterns(p, v.clone(), ci);
                quote!(#pv::any_branch(__s, |#v: &str| #test))
            }
            Condition::State(states) => one_of(quote!(__st.state), quote!(#pv::StageState), states),
            Condition::Result(results) => {
                one_of(quote!(__st.result), quote!(#pv::StageResult), results)
            }
            Condition::Job(p, results) => {
                let name_test = self.patterns(p, quote!(__j.name.as_str()), ci);
                let result_test = if results.is_empty() {
                    TokenStream::new()
                } else {
                    let test = one_of(quote!(__j.result), quote!(#pv::JobResult), results);
                    quote!(&& #test)
                };
                quote!(#pv::any_job(__s, |__j: &#pv::Job| #name_test #result_test))
            }
            Condition::Broken => transition(pv, quote!(Broken)),
            Condition::Fixed => transition(pv, quote!(Fixed)),
            Condition::StillFailing => transition(pv, quote!(StillFailing)),
            Condition::Any => quote!(true),
            Condition::Guard(expr) => {
                let i = self.guards.len();
                self.guards.push(guard(expr));
                quote!((__guards[#i])(__s))
            }
        }
    }

    fn optional(&mut self, pats: &[Pattern], value: TokenStream, ci: bool) -> TokenStream {
        let pv = &self.pv.clone();
        let test = self.patterns(pats, quote!(__v), ci);
        quote!(#pv::opt_match(#value, |__v: &str| #test))
    }

    /// `p1 || p2 || ...` on `value` (an expression of type `&str`).
    fn patterns(&mut self, pats: &[Pattern], value: TokenStream, ci: bool) -> TokenStream {
        let tests: Vec<TokenStream> = pats.iter().map(|p| self.pattern(p, &value, ci)).collect();
        let many = tests.len() > 1;
        let joined = join(tests, quote!(||), quote!(false));
        if many {
            quote!((#joined))
        } else {
            joined
        }
    }

    fn pattern(&mut self, pat: &Pattern, value: &TokenStream, ci: bool) -> TokenStream {
        let pv = &self.pv.clone();
        let text = pat.text.as_str();
        match pat.kind {
            PatternKind::Exact if ci => quote!(#pv::eq_ci(#value, #text)),
            PatternKind::Exact => quote!((#value == #text)),
            PatternKind::Glob => glob(pv, text, value, ci),
            PatternKind::Regex => {
                let name = format_ident!("__RE{}", self.regexes.len());
                self.regexes.push(quote! {
                    static #name: #pv::LazyLock<#pv::Option<#pv::Regex>> =
                        #pv::LazyLock::new(|| #pv::regex(#text, #ci));
                });
                quote!(#pv::regex_match(&#name, #value))
            }
        }
    }

    /// The sends of a rule, each rendering its template into a fresh `String`.
    fn actions(&self, actions: &[Action], index: usize, agent: bool) -> TokenStream {
        let pv = &self.pv;
        let rule_id = index as u32;
        let mut reminds = 0u32..;
        let sends = actions
            .iter()
            .enumerate()
            .filter_map(|(a, action)| match action {
                // Reported to the timed evaluation; delivered later, by the
                // plugin's scheduler.
                Action::Remind { .. } => {
                    let r = reminds.next().unwrap_or(0);
                    Some(quote!(__ev.remind(#rule_id, #r);))
                }
                Action::Send { target, template } => {
                    let default;
                    let template = match template {
                        Some(t) => t,
                        None => {
                            default = Template::default_for(agent);
                            &default
                        }
                    };
                    let name = target.name.as_str();
                    let action_id = a as u32;
                    if let [] | [Piece::Text(_)] = template.pieces.as_slice() {
                        let text = template.pieces.first().map_or("", |p| match p {
                            Piece::Text(t) => t.as_str(),
                            Piece::Field(_) => "",
                        });
                        return Some(quote! {
                            __ev.send_static(#rule_id, #action_id, #name, #text);
                        });
                    }
                    let text = render(pv, template);
                    Some(match self.repeated.get(template) {
                        Some(id) => quote! {
                            if !__ev.reuse(#rule_id, #action_id, #name, #id) {
                                #text
                                __ev.send_template(#rule_id, #action_id, #name, #id, __t);
                            }
                        },
                        None => quote! {
                            {
                                #text
                                __ev.send(#rule_id, #action_id, #name, __t);
                            }
                        },
                    })
                }
                Action::Stop => None,
            });
        quote!(#(#sends)*)
    }
}

/// Code that leaves the rendered template in `__t`, in a buffer reserved once:
/// the text's length is summed here, the fields' when the rule fires.
fn render(pv: &TokenStream, template: &Template) -> TokenStream {
    let pieces = template.pieces.as_slice();
    let text_len = template.text_len();
    let field = |f: &Field| {
        let variant = format_ident!("{}", format!("{f:?}"));
        quote!(#pv::Field::#variant)
    };
    let hints = pieces.iter().filter_map(|p| match p {
        Piece::Field(f) => {
            let f = field(f);
            Some(quote!(+ __ev.size_hint(#f)))
        }
        Piece::Text(_) => None,
    });
    let pushes = pieces.iter().map(|p| match p {
        Piece::Text(t) => quote!(__t.push_str(#t);),
        Piece::Field(f) => {
            let f = field(f);
            quote!(__ev.push_field(&mut __t, #f);)
        }
    });
    quote! {
        let mut __t = #pv::String::with_capacity(#text_len #(#hints)*);
        #(#pushes)*
    }
}

/// `a OP b OP c`, or `empty` for no parts.
fn join(parts: Vec<TokenStream>, op: TokenStream, empty: TokenStream) -> TokenStream {
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return empty;
    };
    parts.fold(first, |acc, p| quote!(#acc #op #p))
}

/// A guard's expression, spanned at its first token so that the compiler's
/// errors about it point there.
fn guard(expr: &TokenStream) -> TokenStream {
    let span = expr
        .clone()
        .into_iter()
        .next()
        .map(|t| t.span())
        .unwrap_or_else(Span::call_site);
    quote_spanned!(span=> #expr)
}

fn agent_transition(pv: &TokenStream, variant: TokenStream) -> TokenStream {
    quote!(match __ev.transition {
        #pv::Some(#pv::AgentTransition::#variant) => true,
        _ => false,
    })
}

fn transition(pv: &TokenStream, variant: TokenStream) -> TokenStream {
    quote!(match __ev.transition {
        #pv::Some(#pv::Transition::#variant) => true,
        _ => false,
    })
}

/// Whether `value` is one of the model enum's variants that `names` name: the
/// language's names are the variants' names.
fn one_of<N: Name>(value: TokenStream, model_enum: TokenStream, names: &[N]) -> TokenStream {
    let variants = names.iter().map(|n| format_ident!("{}", n.as_str()));
    quote!(match #value { #(#model_enum::#variants)|* => true, _ => false })
}

/// Globs of the common shapes become one string test; others use the general
/// matcher.
fn glob(pv: &TokenStream, pattern: &str, value: &TokenStream, ci: bool) -> TokenStream {
    if !pattern.contains('?') {
        let parts: Vec<&str> = pattern.split('*').collect();
        match parts.as_slice() {
            [pre, ""] if !pre.is_empty() => return quote!(#pv::starts_with(#value, #pre, #ci)),
            ["", suf] if !suf.is_empty() => return quote!(#pv::ends_with(#value, #suf, #ci)),
            ["", mid, ""] => return quote!(#pv::contains(#value, #mid, #ci)),
            _ if parts.iter().all(|p| p.is_empty()) => return quote!({ let _ = #value; true }),
            _ => {}
        }
    }
    quote!(#pv::glob(#value, #pattern, #ci))
}
