//! Materials: one variant per kind GoCD sends, each with its configuration.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A material of a pipeline run (`build-cause[].material`).
///
/// A material type this crate does not know is kept as [`Material::Other`] with its
/// raw JSON, so a newer server never makes a notification unreadable.
#[derive(Debug, Clone, PartialEq)]
pub enum Material {
    /// `git`
    Git(GitConfig),
    /// `mercurial`
    Mercurial(MercurialConfig),
    /// `svn`
    Svn(SvnConfig),
    /// `perforce`
    Perforce(PerforceConfig),
    /// `tfs`
    Tfs(TfsConfig),
    /// `pipeline`: an upstream pipeline's stage.
    Pipeline(PipelineConfig),
    /// `package`: a package repository plugin's material.
    Package(PackageConfig),
    /// `scm`: an SCM plugin's material.
    Scm(ScmConfig),
    /// A type this crate does not know.
    Other {
        /// The material's `type`.
        kind: String,
        /// The whole `material` object as it was sent.
        raw: Value,
    },
}

/// `git-configuration`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct GitConfig {
    /// The material's fingerprint (v4).
    #[serde(skip)]
    pub fingerprint: Option<String>,
    /// The repository URL (GoCD masks a password as `******`).
    #[serde(default)]
    pub url: Option<String>,
    /// The branch.
    #[serde(default)]
    pub branch: Option<String>,
    /// Whether the clone is shallow.
    #[serde(default)]
    pub shallow_clone: Option<bool>,
}

/// `mercurial-configuration`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MercurialConfig {
    /// The material's fingerprint (v4).
    #[serde(skip)]
    pub fingerprint: Option<String>,
    /// The repository URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// `svn-configuration`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SvnConfig {
    /// The material's fingerprint (v4).
    #[serde(skip)]
    pub fingerprint: Option<String>,
    /// The repository URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The user name, if any.
    #[serde(default)]
    pub username: Option<String>,
    /// Whether externals are checked out.
    #[serde(default)]
    pub check_externals: Option<bool>,
}

/// `perforce-configuration`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PerforceConfig {
    /// The material's fingerprint (v4).
    #[serde(skip)]
    pub fingerprint: Option<String>,
    /// The server, `host:port`.
    #[serde(default)]
    pub url: Option<String>,
    /// The user name, if any.
    #[serde(default)]
    pub username: Option<String>,
    /// The client view.
    #[serde(default)]
    pub view: Option<String>,
    /// Whether tickets are used.
    #[serde(default)]
    pub use_tickets: Option<bool>,
}

/// `tfs-configuration`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TfsConfig {
    /// The material's fingerprint (v4).
    #[serde(skip)]
    pub fingerprint: Option<String>,
    /// The collection URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The domain.
    #[serde(default)]
    pub domain: Option<String>,
    /// The user name, if any.
    #[serde(default)]
    pub username: Option<String>,
    /// The project path.
    #[serde(default)]
    pub project_path: Option<String>,
}

/// `pipeline-configuration`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PipelineConfig {
    /// The material's fingerprint (v4).
    #[serde(skip)]
    pub fingerprint: Option<String>,
    /// The upstream pipeline.
    #[serde(default)]
    pub pipeline_name: Option<String>,
    /// The upstream stage.
    #[serde(default)]
    pub stage_name: Option<String>,
}

/// A package material: the plugin and its plugin-defined maps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PackageConfig {
    /// The material's fingerprint (v4).
    pub fingerprint: Option<String>,
    /// The package repository plugin.
    pub plugin_id: Option<String>,
    /// `repository-configuration`
    pub repository_configuration: BTreeMap<String, String>,
    /// `package-configuration`
    pub package_configuration: BTreeMap<String, String>,
}

/// An SCM plugin material.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScmConfig {
    /// The material's fingerprint (v4).
    pub fingerprint: Option<String>,
    /// The SCM plugin.
    pub plugin_id: Option<String>,
    /// `scm-configuration`
    pub scm_configuration: BTreeMap<String, String>,
}
