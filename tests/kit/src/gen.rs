//! proptest strategies for the model: arbitrary values of every field (for
//! round trips), and the parts to assemble narrower ones from (for rules that
//! must fire).
//!
//! [`JobParts`], [`StageParts`] and [`PipelineParts`] hold one strategy per
//! field; `any()` gives arbitrary values for all of them, and a test sets the
//! fields it wants narrower:
//!
//! ```
//! use notify_rules_test_kit::gen::{pick_str, PipelineParts, StageParts};
//! use proptest::prelude::*;
//! let statuses = PipelineParts {
//!     name: pick_str(&["api", "web"]),
//!     stage: StageParts { counter: (1u64..4).boxed(), ..StageParts::any() }.strategy(),
//!     ..PipelineParts::any()
//! }
//! .stage_status();
//! # let _ = statuses;
//! ```

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::Range;

use chrono::{DateTime, Utc};
use notify_rules::model::{
    AgentConfigState, AgentState, AgentStatus, BuildCause, BuildState, GitConfig, Job, JobResult,
    JobState, Material, MercurialConfig, Modification, PackageConfig, PerforceConfig, Pipeline,
    PipelineConfig, ScmConfig, Stage, StageResult, StageState, StageStatus, SvnConfig, TfsConfig,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// GoCD's stage states.
pub const STAGE_STATES: &[&str] = &[
    "Building",
    "Failing",
    "Passed",
    "Failed",
    "Cancelled",
    "Unknown",
];
/// GoCD's stage and job results.
pub const RESULTS: &[&str] = &["Passed", "Failed", "Cancelled", "Unknown"];
/// GoCD's job states.
pub const JOB_STATES: &[&str] = &[
    "Scheduled",
    "Assigned",
    "Preparing",
    "Building",
    "Completing",
    "Completed",
    "Discontinued",
    "Rescheduled",
];
/// GoCD's agent states.
pub const AGENT_STATES: &[&str] = &["Idle", "Building", "LostContact", "Missing", "Unknown"];
/// GoCD's agent build states.
pub const BUILD_STATES: &[&str] = &["Idle", "Building", "Cancelled", "Unknown"];
/// GoCD's agent config states.
pub const CONFIG_STATES: &[&str] = &["Pending", "Enabled", "Disabled", "Unknown"];
/// The material types the model reads into their own variants.
pub const MATERIAL_KINDS: &[&str] = &[
    "git",
    "mercurial",
    "svn",
    "perforce",
    "tfs",
    "pipeline",
    "package",
    "scm",
];

/// One of `items`.
pub fn pick<T: Clone + Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

/// One of `items`, owned.
pub fn pick_str(items: &'static [&'static str]) -> BoxedStrategy<String> {
    pick(items).prop_map(str::to_owned).boxed()
}

/// One of `items`, or none.
pub fn opt_pick(items: &'static [&'static str]) -> BoxedStrategy<Option<String>> {
    option::of(pick_str(items)).boxed()
}

/// Any text, including quotes, escapes, control characters and non-ASCII.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9/:@.?=&-]{0,20}",
        Just(String::new())
    ]
    .boxed()
}

pub fn opt_text() -> BoxedStrategy<Option<String>> {
    option::of(text()).boxed()
}

/// A date at millisecond precision, `millis` after the epoch; set with the
/// probability `some`.
pub fn date(millis: Range<i64>, some: f64) -> BoxedStrategy<Option<DateTime<Utc>>> {
    option::weighted(
        some,
        millis.prop_map(|ms| DateTime::from_timestamp_millis(ms).expect("a date chrono holds")),
    )
    .boxed()
}

/// Years 0001 to 9999, the range GoCD's four-digit pattern can write; or none.
pub fn any_date() -> BoxedStrategy<Option<DateTime<Utc>>> {
    date(-62_135_596_800_000..253_402_300_799_999, 0.5)
}

pub fn string_map() -> BoxedStrategy<BTreeMap<String, String>> {
    btree_map(text(), text(), 0..3).boxed()
}

/// Known wire values and anything else (which `from_wire` keeps as `Other`).
pub fn wire_value(known: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![pick_str(known), text()].boxed()
}

/// What `from_wire` reads of a [`wire_value`].
fn read_wire<T: Debug + 'static>(
    known: &'static [&'static str],
    from_wire: fn(&str) -> T,
) -> BoxedStrategy<T> {
    wire_value(known).prop_map(move |s| from_wire(&s)).boxed()
}

pub fn stage_state() -> BoxedStrategy<StageState> {
    read_wire(STAGE_STATES, StageState::from_wire)
}

pub fn stage_result() -> BoxedStrategy<StageResult> {
    read_wire(RESULTS, StageResult::from_wire)
}

pub fn job_state() -> BoxedStrategy<JobState> {
    read_wire(JOB_STATES, JobState::from_wire)
}

pub fn job_result() -> BoxedStrategy<JobResult> {
    read_wire(RESULTS, JobResult::from_wire)
}

/// JSON kept raw for an unknown material type (no floats: they need not
/// survive a text round trip bit for bit).
pub fn raw_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(text(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Any material of any type, known or not.
pub fn material() -> BoxedStrategy<Material> {
    let fp = opt_text;
    prop_oneof![
        (fp(), opt_text(), opt_text(), option::of(any::<bool>())).prop_map(
            |(fingerprint, url, branch, shallow_clone)| Material::Git(GitConfig {
                fingerprint,
                url,
                branch,
                shallow_clone
            })
        ),
        (fp(), opt_text()).prop_map(|(fingerprint, url)| Material::Mercurial(MercurialConfig {
            fingerprint,
            url
        })),
        (fp(), opt_text(), opt_text(), option::of(any::<bool>())).prop_map(
            |(fingerprint, url, username, check_externals)| Material::Svn(SvnConfig {
                fingerprint,
                url,
                username,
                check_externals
            })
        ),
        (
            fp(),
            opt_text(),
            opt_text(),
            opt_text(),
            option::of(any::<bool>())
        )
            .prop_map(
                |(fingerprint, url, username, view, use_tickets)| Material::Perforce(
                    PerforceConfig {
                        fingerprint,
                        url,
                        username,
                        view,
                        use_tickets
                    }
                )
            ),
        (fp(), opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
            |(fingerprint, url, domain, username, project_path)| Material::Tfs(TfsConfig {
                fingerprint,
                url,
                domain,
                username,
                project_path
            })
        ),
        (fp(), opt_text(), opt_text()).prop_map(|(fingerprint, pipeline_name, stage_name)| {
            Material::Pipeline(PipelineConfig {
                fingerprint,
                pipeline_name,
                stage_name,
            })
        }),
        (fp(), opt_text(), string_map(), string_map()).prop_map(
            |(fingerprint, plugin_id, repository_configuration, package_configuration)| {
                Material::Package(PackageConfig {
                    fingerprint,
                    plugin_id,
                    repository_configuration,
                    package_configuration,
                })
            }
        ),
        (fp(), opt_text(), string_map()).prop_map(|(fingerprint, plugin_id, scm_configuration)| {
            Material::Scm(ScmConfig {
                fingerprint,
                plugin_id,
                scm_configuration,
            })
        }),
        (
            text().prop_filter("an unknown type", |k| !MATERIAL_KINDS.contains(&k.as_str())),
            btree_map(text(), raw_json(), 0..4)
        )
            .prop_map(|(kind, entries)| {
                let mut raw: Map<String, Value> = entries.into_iter().collect();
                raw.insert("type".into(), Value::String(kind.clone()));
                Material::Other {
                    kind,
                    raw: Value::Object(raw),
                }
            }),
    ]
    .boxed()
}

pub fn build_cause() -> BoxedStrategy<BuildCause> {
    let modification =
        (opt_text(), any_date(), string_map()).prop_map(|(revision, modified_time, data)| {
            Modification {
                revision,
                modified_time,
                data,
            }
        });
    (material(), any::<bool>(), vec(modification, 0..3))
        .prop_map(|(material, changed, modifications)| BuildCause {
            material,
            changed,
            modifications,
        })
        .boxed()
}

/// Declares `$parts`, one strategy for each field of the struct `$ty`, and
/// its `strategy`, which draws the fields in the order they are declared here
/// and builds a `$ty` of them.
macro_rules! parts {
    ($(#[$doc:meta])* $parts:ident => $ty:ident { $($field:ident: $value:ty),* $(,)? }) => {
        $(#[$doc])*
        pub struct $parts {
            $(pub $field: BoxedStrategy<$value>,)*
        }

        impl $parts {
            pub fn strategy(self) -> BoxedStrategy<$ty> {
                ($(self.$field,)*)
                    .prop_map(|($($field,)*)| $ty { $($field,)* })
                    .boxed()
            }
        }
    };
}

parts! {
    /// A strategy for each field of a [`Job`].
    JobParts => Job {
        name: String,
        schedule_time: Option<DateTime<Utc>>,
        assign_time: Option<DateTime<Utc>>,
        complete_time: Option<DateTime<Utc>>,
        state: JobState,
        result: JobResult,
        agent_uuid: Option<String>,
    }
}

parts! {
    /// A strategy for each field of a [`Stage`].
    StageParts => Stage {
        name: String,
        counter: u64,
        approval_type: Option<String>,
        approved_by: Option<String>,
        previous_stage_name: Option<String>,
        previous_stage_counter: Option<u64>,
        state: StageState,
        result: StageResult,
        create_time: Option<DateTime<Utc>>,
        last_transition_time: Option<DateTime<Utc>>,
        jobs: Vec<Job>,
    }
}

parts! {
    /// A strategy for each field of a [`Pipeline`], the whole of a
    /// [`StageStatus`] (see [`stage_status`](PipelineParts::stage_status)).
    PipelineParts => Pipeline {
        name: String,
        counter: u64,
        label: Option<String>,
        group: Option<String>,
        build_cause: Vec<BuildCause>,
        stage: Stage,
    }
}

parts! {
    /// A strategy for each field of an [`AgentStatus`].
    AgentParts => AgentStatus {
        uuid: String,
        host_name: Option<String>,
        is_elastic: bool,
        ip_address: Option<String>,
        operating_system: Option<String>,
        free_space: Option<String>,
        agent_config_state: AgentConfigState,
        agent_state: AgentState,
        build_state: BuildState,
        transition_time: Option<DateTime<Utc>>,
    }
}

impl AgentParts {
    /// Arbitrary values for every field.
    pub fn any() -> AgentParts {
        AgentParts {
            uuid: text(),
            host_name: opt_text(),
            is_elastic: any::<bool>().boxed(),
            ip_address: opt_text(),
            operating_system: opt_text(),
            free_space: opt_text(),
            agent_config_state: agent_config_state(),
            agent_state: agent_state(),
            build_state: agent_build_state(),
            transition_time: any_date(),
        }
    }
}

/// Any agent-status notification.
pub fn agent_status() -> BoxedStrategy<AgentStatus> {
    AgentParts::any().strategy()
}

pub fn agent_state() -> BoxedStrategy<AgentState> {
    read_wire(AGENT_STATES, AgentState::from_wire)
}

pub fn agent_build_state() -> BoxedStrategy<BuildState> {
    read_wire(BUILD_STATES, BuildState::from_wire)
}

pub fn agent_config_state() -> BoxedStrategy<AgentConfigState> {
    read_wire(CONFIG_STATES, AgentConfigState::from_wire)
}

impl JobParts {
    /// Arbitrary values for every field.
    pub fn any() -> JobParts {
        JobParts {
            name: text(),
            schedule_time: any_date(),
            assign_time: any_date(),
            complete_time: any_date(),
            state: job_state(),
            result: job_result(),
            agent_uuid: opt_text(),
        }
    }
}

impl StageParts {
    /// Arbitrary values for every field.
    pub fn any() -> StageParts {
        StageParts {
            name: text(),
            counter: any::<u64>().boxed(),
            approval_type: opt_text(),
            approved_by: opt_text(),
            previous_stage_name: opt_text(),
            previous_stage_counter: option::of(any::<u64>()).boxed(),
            state: stage_state(),
            result: stage_result(),
            create_time: any_date(),
            last_transition_time: any_date(),
            jobs: vec(job(), 0..4).boxed(),
        }
    }
}

impl PipelineParts {
    /// Arbitrary values for every field.
    pub fn any() -> PipelineParts {
        PipelineParts {
            name: text(),
            counter: any::<u64>().boxed(),
            label: opt_text(),
            group: opt_text(),
            build_cause: vec(build_cause(), 0..4).boxed(),
            stage: stage(),
        }
    }

    /// The stage-status notification of the pipeline.
    pub fn stage_status(self) -> BoxedStrategy<StageStatus> {
        self.strategy()
            .prop_map(|pipeline| StageStatus { pipeline })
            .boxed()
    }
}

/// Any job.
pub fn job() -> BoxedStrategy<Job> {
    JobParts::any().strategy()
}

/// Any stage.
pub fn stage() -> BoxedStrategy<Stage> {
    StageParts::any().strategy()
}

/// Any stage-status notification.
pub fn stage_status() -> BoxedStrategy<StageStatus> {
    PipelineParts::any().stage_status()
}
