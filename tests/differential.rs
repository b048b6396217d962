//! The two evaluators of the language against each other: the rules in
//! `tests/rules/differential.rules` compiled with `rules_file!` and loaded with
//! `RuleSet::parse` must make the same deliveries (target, text and rule) on
//! every generated notification, with and without history and a server address;
//! and `tests/rules/differential_time.rules` the same windows, timings,
//! reminders, reminder texts and `{suppressed}` texts.

use chrono::{DateTime, Utc};
use notify_rules::model::{
    AgentState, AgentStatus, BuildCause, GitConfig, Job, JobResult, JobState, Material,
    MercurialConfig, Modification, PipelineConfig, StageResult, StageState, StageStatus,
};
use std::time::Duration;

use notify_rules::{rules_file, AgentTransition, Delivery, RuleSet, RuleTiming, Transition};
use notify_rules_test_kit::gen::{
    self, date, opt_pick, pick, pick_str, AgentParts, PipelineParts, StageParts,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const SOURCE: &str = include_str!("rules/differential.rules");

/// Dates within about a day of each other, nine in ten of them set.
fn time() -> BoxedStrategy<Option<DateTime<Utc>>> {
    date(1_700_000_000_000..1_700_100_000_000, 0.9)
}

fn material() -> impl Strategy<Value = BuildCause> {
    let git = (
        opt_pick(&[
            "https://git.example.org/a.git",
            "https://ci:t0k3n@git.example.org/b.git",
            "git@host:c.git",
        ]),
        opt_pick(&["main", "release-1.4", "feature/login", "MAIN"]),
    )
        .prop_map(|(url, branch)| {
            Material::Git(GitConfig {
                url,
                branch,
                ..GitConfig::default()
            })
        });
    let hg = opt_pick(&["https://hg.example.org/docs"]).prop_map(|url| {
        Material::Mercurial(MercurialConfig {
            url,
            ..Default::default()
        })
    });
    let upstream = Just(Material::Pipeline(PipelineConfig {
        pipeline_name: Some("build-app".into()),
        stage_name: Some("package".into()),
        ..Default::default()
    }));
    (
        prop_oneof![3 => git, 1 => hg, 1 => upstream],
        any::<bool>(),
        opt_pick(&["8f60b124", "build-app/117/package/1", "18841"]),
        time(),
    )
        .prop_map(|(material, changed, revision, modified_time)| BuildCause {
            material,
            changed,
            modifications: vec![Modification {
                revision,
                modified_time,
                data: Default::default(),
            }],
        })
}

fn job() -> impl Strategy<Value = Job> {
    (
        pick(&[
            "unit",
            "integration",
            "lint",
            "deploy-web",
            "deploy-worker",
            "UNIT",
            "int-db",
        ]),
        pick(&[
            JobResult::Passed,
            JobResult::Failed,
            JobResult::Cancelled,
            JobResult::Unknown,
        ]),
        time(),
    )
        .prop_map(|(name, result, t)| Job {
            name: name.to_owned(),
            schedule_time: t,
            assign_time: t,
            complete_time: t,
            state: JobState::Completed,
            result,
            agent_uuid: None,
        })
}

/// Notifications in the rules' own vocabulary, so that every rule can fire.
fn status() -> impl Strategy<Value = StageStatus> {
    let state = prop_oneof![
        pick(&[
            StageState::Building,
            StageState::Failing,
            StageState::Passed,
            StageState::Failed,
            StageState::Cancelled,
            StageState::Unknown
        ]),
        Just(StageState::Other("Paused".into())),
    ];
    let result = pick(&[
        StageResult::Passed,
        StageResult::Failed,
        StageResult::Cancelled,
        StageResult::Unknown,
    ]);
    let stage = StageParts {
        name: pick_str(&[
            "deploy",
            "test",
            "publish",
            "STAGE-one",
            "smoke",
            "e2e",
            "build",
        ]),
        counter: (1u64..4).boxed(),
        approval_type: opt_pick(&["success", "manual"]),
        approved_by: opt_pick(&["changes", "timer", "maria", "anonymous", ""]),
        previous_stage_name: Just(None).boxed(),
        previous_stage_counter: Just(None).boxed(),
        state: state.boxed(),
        result: result.boxed(),
        create_time: time(),
        last_transition_time: time(),
        jobs: vec(job(), 0..4).boxed(),
    };
    PipelineParts {
        name: pick_str(&[
            "deploy-app",
            "api-server",
            "API-gateway",
            "sandbox-12",
            "quiet-docs",
            "docs-site",
            "svc",
        ]),
        counter: (1u64..500).boxed(),
        label: opt_pick(&["1.4.318", "42", "1.0", "hotfix-7", "H1.2"]),
        group: opt_pick(&["release", "production", "PRODUCTION", "web", "prod-eu"]),
        build_cause: vec(material(), 0..3).boxed(),
        stage: stage.strategy(),
    }
    .stage_status()
}

fn context() -> impl Strategy<Value = (Option<Transition>, Option<&'static str>)> {
    (
        proptest::option::of(pick(&[
            Transition::Broken,
            Transition::Fixed,
            Transition::StillFailing,
        ])),
        proptest::option::of(pick(&["https://ci.example.org", "http://localhost:8153/"])),
    )
}

/// What is compared of a delivery: target, text, rule and transition (of
/// either kind).
type Key = (String, String, usize, Option<&'static str>);

fn key(d: &Delivery) -> Key {
    let transition = d.transition().map(Transition::as_str);
    (
        d.target().to_owned(),
        d.text().to_owned(),
        d.rule_index(),
        transition.or(d.agent_transition().map(AgentTransition::as_str)),
    )
}

/// Runs `cases` generated inputs through both rule sets, which must make the
/// same deliveries; gives how many times each of `rules` rules fired. A
/// fixed seed: the same inputs every run, so that the check that every rule
/// fired somewhere cannot fail by chance.
fn agree<T: std::fmt::Debug>(
    cases: u32,
    inputs: impl Strategy<Value = T>,
    rules: usize,
    both: impl Fn(&T) -> (Vec<Key>, Vec<Key>),
) -> Vec<usize> {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let fired: Vec<std::cell::Cell<usize>> = vec![std::cell::Cell::new(0); rules];
    runner
        .run(&inputs, |input| {
            let (a, b) = both(&input);
            prop_assert_eq!(&a, &b);
            for (_, _, rule, _) in &a {
                fired[*rule].set(fired[*rule].get() + 1);
            }
            Ok(())
        })
        .unwrap();
    fired.into_iter().map(std::cell::Cell::into_inner).collect()
}

/// The rules (from 1) that never fired, but for those in `silent`, which
/// send nothing.
fn never(fired: &[usize], silent: &[usize]) -> Vec<usize> {
    (1..=fired.len())
        .filter(|i| fired[i - 1] == 0 && !silent.contains(i))
        .collect()
}

#[test]
fn compiled_and_loaded_rules_make_the_same_deliveries() {
    let compiled: RuleSet = rules_file!("tests/rules/differential.rules");
    let loaded = RuleSet::parse(SOURCE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compiled.len(), 34);
    assert_eq!(compiled.len(), loaded.len());
    assert_eq!(compiled.targets(), loaded.targets());
    assert_eq!(compiled.uses_link(), loaded.uses_link());

    let fired = agree(
        3000,
        (status(), context()),
        compiled.len(),
        |(s, (transition, server))| {
            let made = |r: &RuleSet| {
                r.evaluate_with(s, *transition, *server)
                    .iter()
                    .map(key)
                    .collect()
            };
            (made(&compiled), made(&loaded))
        },
    );
    // A comparison on notifications no rule matches would prove nothing: every
    // rule that can fire must have fired somewhere in the run (5 and 31 stop
    // and send nothing).
    let never = never(&fired, &[5, 31]);
    assert!(never.is_empty(), "rules that never fired: {never:?}");
}

const AGENT_SOURCE: &str = include_str!("rules/differential_agent.rules");

/// Agent notifications in the agent rules' own vocabulary, with the
/// transition history would find: the previous state is drawn too, and `lost`
/// and `back` follow from it as the plugin's history makes them.
fn agent_case() -> impl Strategy<Value = (AgentStatus, Option<AgentTransition>)> {
    let agent = AgentParts {
        uuid: pick_str(&["0b9e", "c0ffee00-1111", "a/b c"]),
        host_name: opt_pick(&[
            "win-7",
            "WIN-build",
            "mac-12",
            "mac-x",
            "linux-1",
            "quiet-3",
            "agent-7",
        ]),
        ip_address: opt_pick(&["10.0.4.17", "192.168.1.9", "10.8.0.42", "::1"]),
        operating_system: opt_pick(&["Ubuntu Linux", "windows", "WINDOWS", "Mac OS X", "FreeBSD"]),
        free_space: opt_pick(&["41.8 GB", "Unknown"]),
        agent_config_state: gen::agent_config_state(),
        agent_state: gen::agent_state(),
        build_state: gen::agent_build_state(),
        transition_time: time(),
        ..AgentParts::any()
    };
    (agent.strategy(), proptest::option::of(gen::agent_state())).prop_map(|(agent, before)| {
        let gone = |s: &AgentState| matches!(s, AgentState::LostContact | AgentState::Missing);
        let up = matches!(agent.agent_state, AgentState::Idle | AgentState::Building);
        let transition = match &before {
            _ if gone(&agent.agent_state) && !before.as_ref().is_some_and(gone) => {
                Some(AgentTransition::Lost)
            }
            Some(b) if up && gone(b) => Some(AgentTransition::Back),
            _ => None,
        };
        (agent, transition)
    })
}

#[test]
fn compiled_and_loaded_agent_rules_make_the_same_deliveries() {
    let compiled: RuleSet = rules_file!("tests/rules/differential_agent.rules");
    let loaded = RuleSet::parse(AGENT_SOURCE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compiled.len(), 19);
    assert_eq!(compiled.len(), loaded.len());
    assert!(compiled.has_agent_rules() && loaded.has_agent_rules());
    assert_eq!(compiled.uses_link(), loaded.uses_link());

    let server = proptest::option::of(pick(&[
        "https://ci.example.org/go",
        "http://localhost:8153/",
    ]));
    let fired = agree(
        2000,
        (agent_case(), server),
        compiled.len() - 1,
        |((a, transition), server)| {
            let made = |r: &RuleSet| {
                r.evaluate_agent_with(a, *transition, *server)
                    .iter()
                    .map(key)
                    .collect()
            };
            (made(&compiled), made(&loaded))
        },
    );
    // Rule 15 (`host "quiet-*" => stop`) sends nothing; the ones after it
    // show that it stopped.
    let never = never(&fired, &[15]);
    assert!(never.is_empty(), "agent rules that never fired: {never:?}");
}

const TIME_SOURCE: &str = include_str!("rules/differential_time.rules");

/// What is compared of a rule's time forms.
type TimingKey = Option<(
    Option<Duration>,
    Option<usize>,
    Vec<(String, Duration, bool)>,
)>;

fn timing_key(t: Option<&RuleTiming>) -> TimingKey {
    t.map(|t| {
        let reminds = t.reminds().iter();
        let reminds = reminds.map(|r| (r.target().to_owned(), r.after(), r.has_template()));
        (t.every(), t.during(), reminds.collect())
    })
}

#[test]
fn compiled_and_loaded_rules_agree_on_time() {
    let compiled: RuleSet = rules_file!("tests/rules/differential_time.rules");
    let loaded = RuleSet::parse(TIME_SOURCE).unwrap_or_else(|e| panic!("{e}"));
    assert!(compiled.has_time_forms() && loaded.has_time_forms());
    assert_eq!(compiled.windows(), loaded.windows());
    assert_eq!(loaded.windows()[1].zone(), "America/New_York");
    for i in 0..8 {
        let (c, l) = (compiled.timing(i), loaded.timing(i));
        assert_eq!(timing_key(c), timing_key(l), "rule {i}");
        let (c, l) = (compiled.agent_timing(i), loaded.agent_timing(i));
        assert_eq!(timing_key(c), timing_key(l), "agent rule {i}");
    }
    assert!(loaded.timing(6).is_none() && loaded.timing(3).is_some());

    // Stage notifications: the same deliveries, reminders, reminder texts
    // and texts with a count of held-back deliveries.
    let since = [
        Duration::from_secs(45 * 60),
        Duration::from_secs(4 * 3600 + 7),
    ];
    let fired = agree(
        1500,
        (status(), context()),
        7,
        |(s, (transition, server))| {
            let made = |r: &RuleSet| {
                let deliveries = r.evaluate_with(s, *transition, *server);
                let mut keys: Vec<Key> = deliveries.iter().map(key).collect();
                for (n, d) in deliveries.iter().enumerate() {
                    let text = r.text_with_suppressed(d, n as u64 * 7);
                    keys.push((d.target().to_owned(), text, d.rule_index(), None));
                }
                for start in r.reminder_starts(s, *transition) {
                    for (n, since) in since.iter().enumerate() {
                        let text = r.reminder_text(
                            start.rule_index,
                            start.remind_index,
                            s,
                            *since,
                            n as u32 + 1,
                        );
                        let after = format!("{:?}", start.after);
                        keys.push((
                            start.target.clone(),
                            format!("{after} {text}"),
                            start.rule_index,
                            None,
                        ));
                    }
                }
                keys
            };
            (made(&compiled), made(&loaded))
        },
    );
    let silent = never(&fired, &[]);
    assert!(silent.is_empty(), "rules that never fired: {silent:?}");

    let fired = agree(300, agent_case(), 2, |(a, transition)| {
        let made = |r: &RuleSet| {
            let deliveries = r.evaluate_agent_with(a, *transition, None);
            let mut keys: Vec<Key> = deliveries.iter().map(key).collect();
            keys.extend(deliveries.iter().map(|d| {
                (
                    d.target().to_owned(),
                    r.text_with_suppressed(d, 3),
                    d.rule_index(),
                    None,
                )
            }));
            keys
        };
        (made(&compiled), made(&loaded))
    });
    assert!(never(&fired, &[]).is_empty(), "{fired:?}");
}
