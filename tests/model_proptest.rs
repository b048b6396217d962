//! Any `StageStatus` (dates at millisecond precision, in UTC) survives
//! serialize-then-parse unchanged, through serde_json and through the protocol
//! reader.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use notify_rules::model::{
    BuildCause, GitConfig, Job, JobResult, JobState, Material, MercurialConfig, Modification,
    PackageConfig, PerforceConfig, Pipeline, PipelineConfig, ScmConfig, Stage, StageResult,
    StageState, StageStatus, SvnConfig, TfsConfig,
};
use notify_rules::protocol::parse_stage_status;
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Any text, including quotes, escapes, control characters and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9/:@.?=&-]{0,20}",
        Just(String::new())
    ]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text())
}

/// Years 0001 to 9999, the range GoCD's four-digit pattern can write.
fn date() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    option::of(
        (-62_135_596_800_000i64..253_402_300_799_999)
            .prop_map(|ms| DateTime::from_timestamp_millis(ms).unwrap()),
    )
}

fn string_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map(text(), text(), 0..3)
}

/// Known wire values and anything else (which `from_wire` keeps as `Other`).
fn wire_value(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(known).prop_map(str::to_owned),
        text()
    ]
}

fn stage_state() -> impl Strategy<Value = StageState> {
    wire_value(&[
        "Building",
        "Failing",
        "Passed",
        "Failed",
        "Cancelled",
        "Unknown",
    ])
    .prop_map(|s| StageState::from_wire(&s))
}

fn stage_result() -> impl Strategy<Value = StageResult> {
    wire_value(&["Passed", "Failed", "Cancelled", "Unknown"])
        .prop_map(|s| StageResult::from_wire(&s))
}

fn job_state() -> impl Strategy<Value = JobState> {
    wire_value(&[
        "Scheduled",
        "Assigned",
        "Building",
        "Completed",
        "Rescheduled",
    ])
    .prop_map(|s| JobState::from_wire(&s))
}

fn job_result() -> impl Strategy<Value = JobResult> {
    wire_value(&["Passed", "Failed", "Cancelled", "Unknown"]).prop_map(|s| JobResult::from_wire(&s))
}

const KNOWN_KINDS: &[&str] = &[
    "git",
    "mercurial",
    "svn",
    "perforce",
    "tfs",
    "pipeline",
    "package",
    "scm",
];

/// JSON kept raw for an unknown material type (no floats: they need not
/// survive a text round trip bit for bit).
fn raw_json() -> impl Strategy<Value = Value> {
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
}

fn material() -> impl Strategy<Value = Material> {
    let fp = || opt_text();
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
            text().prop_filter("an unknown type", |k| !KNOWN_KINDS.contains(&k.as_str())),
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
}

fn build_cause() -> impl Strategy<Value = BuildCause> {
    let modification =
        (opt_text(), date(), string_map()).prop_map(|(revision, modified_time, data)| {
            Modification {
                revision,
                modified_time,
                data,
            }
        });
    (material(), any::<bool>(), vec(modification, 0..3)).prop_map(
        |(material, changed, modifications)| BuildCause {
            material,
            changed,
            modifications,
        },
    )
}

fn job() -> impl Strategy<Value = Job> {
    (
        text(),
        date(),
        date(),
        date(),
        job_state(),
        job_result(),
        opt_text(),
    )
        .prop_map(
            |(name, schedule_time, assign_time, complete_time, state, result, agent_uuid)| Job {
                name,
                schedule_time,
                assign_time,
                complete_time,
                state,
                result,
                agent_uuid,
            },
        )
}

fn stage() -> impl Strategy<Value = Stage> {
    (
        (
            text(),
            any::<u64>(),
            opt_text(),
            opt_text(),
            opt_text(),
            option::of(any::<u64>()),
        ),
        (
            stage_state(),
            stage_result(),
            date(),
            date(),
            vec(job(), 0..4),
        ),
    )
        .prop_map(
            |(
                (
                    name,
                    counter,
                    approval_type,
                    approved_by,
                    previous_stage_name,
                    previous_stage_counter,
                ),
                (state, result, create_time, last_transition_time, jobs),
            )| Stage {
                name,
                counter,
                approval_type,
                approved_by,
                previous_stage_name,
                previous_stage_counter,
                state,
                result,
                create_time,
                last_transition_time,
                jobs,
            },
        )
}

fn stage_status() -> impl Strategy<Value = StageStatus> {
    (
        text(),
        any::<u64>(),
        opt_text(),
        opt_text(),
        vec(build_cause(), 0..4),
        stage(),
    )
        .prop_map(
            |(name, counter, label, group, build_cause, stage)| StageStatus {
                pipeline: Pipeline {
                    name,
                    counter,
                    label,
                    group,
                    build_cause,
                    stage,
                },
            },
        )
}

proptest! {
    #[test]
    fn any_stage_status_survives_serialize_then_parse(status in stage_status()) {
        let wire = serde_json::to_string(&status).unwrap();
        let again: StageStatus = serde_json::from_str(&wire).unwrap();
        prop_assert_eq!(&again, &status);
        prop_assert_eq!(parse_stage_status(&wire).unwrap(), status);
    }
}
