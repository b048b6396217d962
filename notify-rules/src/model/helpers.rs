//! Questions the rule engine asks of a notification.

use std::collections::BTreeMap;

use chrono::Duration;
use serde_json::Value;

use super::redact::{is_secret_param, redact_json, redact_text, redact_url, MASK};
use super::{BuildCause, Job, JobResult, Material, Pipeline, Stage, StageState, StageStatus};

impl StageStatus {
    /// A copy fit to leave the process, for instance in a webhook's body: every
    /// material URL goes through [`redact_url`] (user names,
    /// `******` passwords and tokens in the query are removed), URLs inside
    /// plugin settings and modification data are redacted the same way, and
    /// plugin settings whose names look secret (`password`, `api_token`...)
    /// are masked. Everything else is kept as GoCD sent it.
    ///
    /// ```
    /// use notify_rules::model::StageStatus;
    ///
    /// let status: StageStatus = serde_json::from_str(r#"{"pipeline":{"name":"p","counter":"1",
    ///   "build-cause":[{"material":{"type":"git","git-configuration":
    ///     {"url":"https://ci:t0ken@git.example.org/x.git?private_token=abc","branch":"main"}},
    ///    "changed":true,"modifications":[{"revision":"aaa"}]}],
    ///   "stage":{"name":"s","counter":"1","state":"Passed","result":"Passed"}}}"#).unwrap();
    /// let safe = status.redacted();
    /// assert_eq!(
    ///     safe.pipeline.build_cause[0].material.url(),
    ///     Some("https://git.example.org/x.git?private_token=******"),
    /// );
    /// assert_eq!(safe.pipeline.build_cause[0].material.branch(), Some("main"));
    /// let json = serde_json::to_string(&safe).unwrap();
    /// assert!(!json.contains("t0ken") && !json.contains("abc"));
    /// ```
    pub fn redacted(&self) -> StageStatus {
        let mut copy = self.clone();
        for cause in &mut copy.pipeline.build_cause {
            redact_material(&mut cause.material);
            for m in &mut cause.modifications {
                redact_settings(&mut m.data);
            }
        }
        copy
    }
}

fn redact_opt(url: &mut Option<String>) {
    if let Some(u) = url {
        *u = redact_url(u);
    }
}

/// Shown with its plugin data as [`StageStatus::redacted`] shows it: data is
/// a plugin's, and may hold a URL with a password or a token.
impl std::fmt::Debug for super::Modification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut data = self.data.clone();
        redact_settings(&mut data);
        f.debug_struct("Modification")
            .field("revision", &self.revision)
            .field("modified_time", &self.modified_time)
            .field("data", &data)
            .finish()
    }
}

/// Settings of plugin materials: URL-named ones (those [`Material::url`] may
/// pick) as URLs, secret-named ones masked, any URL inside the others redacted.
fn redact_settings(map: &mut BTreeMap<String, String>) {
    for (k, v) in map.iter_mut() {
        let lower = k.to_ascii_lowercase();
        *v = if lower == "url" || lower.ends_with("_url") || lower.ends_with("-url") {
            redact_url(v)
        } else if is_secret_param(k) && !v.is_empty() {
            MASK.to_owned()
        } else {
            redact_text(v)
        };
    }
}

fn redact_material(material: &mut Material) {
    match material {
        Material::Git(c) => redact_opt(&mut c.url),
        Material::Mercurial(c) => redact_opt(&mut c.url),
        Material::Svn(c) => redact_opt(&mut c.url),
        Material::Perforce(c) => redact_opt(&mut c.url),
        Material::Tfs(c) => redact_opt(&mut c.url),
        Material::Pipeline(_) => {}
        Material::Package(c) => {
            redact_settings(&mut c.repository_configuration);
            redact_settings(&mut c.package_configuration);
        }
        Material::Scm(c) => redact_settings(&mut c.scm_configuration),
        Material::Other { kind, raw } => {
            *raw = redact_json(raw);
            // `redact_json` catches `scheme://` URLs only; the `url` that
            // `Material::url` reports may be scp-like (`user@host:repo`).
            if let Some(Value::String(url)) = raw
                .get_mut(format!("{kind}-configuration"))
                .and_then(|c| c.get_mut("url"))
            {
                *url = redact_url(url);
            }
        }
    }
}

impl BuildCause {
    /// The revision of the first modification: the commit, change list or, for
    /// a pipeline material, `upstream/counter/stage/counter`.
    pub fn revision(&self) -> Option<&str> {
        self.modifications.first()?.revision.as_deref()
    }
}

impl Pipeline {
    /// The material that triggered the run: the first one that changed, else the
    /// first one (a manual or timer run changes none); `None` without materials.
    ///
    /// ```
    /// use notify_rules::model::StageStatus;
    ///
    /// let status: StageStatus = serde_json::from_str(r#"{"pipeline":{"name":"p","counter":"1",
    ///   "build-cause":[
    ///     {"material":{"type":"git","git-configuration":{"url":"https://h/a.git"}},"changed":false,
    ///      "modifications":[{"revision":"aaa"}]},
    ///     {"material":{"type":"git","git-configuration":{"url":"https://h/b.git"}},"changed":true,
    ///      "modifications":[{"revision":"bbb"}]}],
    ///   "stage":{"name":"s","counter":"1","state":"Passed","result":"Passed"}}}"#).unwrap();
    /// assert_eq!(status.pipeline.trigger().and_then(|c| c.revision()), Some("bbb"));
    /// ```
    pub fn trigger(&self) -> Option<&BuildCause> {
        self.build_cause
            .iter()
            .find(|c| c.changed)
            .or_else(|| self.build_cause.first())
    }
}

impl Stage {
    /// How long the stage took: its last transition minus its creation. `None`
    /// while it is building, when either time is missing, or when the clock went
    /// backwards between the two.
    pub fn duration(&self) -> Option<Duration> {
        if self.state == StageState::Building {
            return None;
        }
        let d = self.last_transition_time? - self.create_time?;
        (d >= Duration::zero()).then_some(d)
    }

    /// The jobs whose result is `Failed`.
    pub fn failed_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().filter(|j| j.result == JobResult::Failed)
    }

    /// The jobs whose result is `Passed`.
    pub fn passed_jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().filter(|j| j.result == JobResult::Passed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_with(materials: &str) -> StageStatus {
        serde_json::from_str(&format!(
            r#"{{"pipeline":{{"name":"p","counter":"1","build-cause":[{materials}],
              "stage":{{"name":"s","counter":"1","state":"Failed","result":"Failed"}}}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn redacted_removes_credentials_from_every_kind_of_material() {
        let status = status_with(
            r#"{"material":{"type":"git","git-configuration":{"url":"https://ci:t0ken@git.example.org/x.git?private_token=abc"}},"changed":true,
                "modifications":[{"revision":"r1","data":{"TRACKBACK_URL":"https://u:datapw@pkg.example.org/t"}}]},
               {"material":{"type":"svn","svn-configuration":{"url":"svn://svnuser:svnpw@svn.example.org/r","username":"svnuser"}}},
               {"material":{"type":"perforce","perforce-configuration":{"url":"p4user@perforce.example.org:1666"}}},
               {"material":{"type":"package","plugin-id":"yum","repository-configuration":{"REPO_URL":"https://repouser:repopw@repo.example.org/"},
                 "package-configuration":{"PACKAGE_SPEC":"app","API_TOKEN":"pkgtoken"}}},
               {"material":{"type":"scm","plugin-id":"github.pr","scm-configuration":{"url":"git@github.com:org/repo.git","password":"scmpw","note":"see https://n:notepw@docs.example.org/x"}}},
               {"material":{"type":"fossil","fossil-configuration":{"url":"fossiluser@fossil.example.org:repo","mirror":"https://m:mirrorpw@mirror.example.org/"}}},
               {"material":{"type":"pipeline","pipeline-configuration":{"pipeline-name":"up","stage-name":"build"}}}"#,
        );
        let safe = status.redacted();
        let json = serde_json::to_string(&safe).unwrap();
        for secret in [
            "t0ken",
            "abc",
            "svnpw",
            "p4user",
            "repopw",
            "pkgtoken",
            "scmpw",
            "notepw",
            "fossiluser",
            "mirrorpw",
            "datapw",
        ] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        let urls: Vec<_> = safe
            .pipeline
            .build_cause
            .iter()
            .map(|c| c.material.url())
            .collect();
        assert_eq!(
            urls,
            [
                Some("https://git.example.org/x.git?private_token=******"),
                Some("svn://svn.example.org/r"),
                Some("perforce.example.org:1666"),
                Some("https://repo.example.org/"),
                Some("github.com:org/repo.git"),
                Some("fossil.example.org:repo"),
                None,
            ]
        );
        // What is not a secret is kept, so receivers can still use it.
        assert!(json.contains(r#""username":"svnuser""#), "{json}");
        assert!(json.contains(r#""PACKAGE_SPEC":"app""#), "{json}");
        assert!(json.contains(r#""API_TOKEN":"******""#), "{json}");
        assert!(json.contains(r#""pipeline-name":"up""#), "{json}");
        assert_eq!(
            safe.pipeline.build_cause[0].modifications[0]
                .revision
                .as_deref(),
            Some("r1")
        );
        // The original is left as it was.
        assert!(serde_json::to_string(&status).unwrap().contains("t0ken"));
    }

    #[test]
    fn redacted_leaves_a_clean_notification_unchanged() {
        let status = status_with(
            r#"{"material":{"type":"git","git-configuration":{"url":"https://git.example.org/x.git","branch":"main"}},"changed":true,"modifications":[]}"#,
        );
        assert_eq!(status.redacted(), status);
    }
}
