//! Materials: one variant per kind GoCD sends, each with its configuration.
//!
//! The wire form is an object with a `type`, a `fingerprint` (v4) and one or more
//! configuration entries, in any key order; `de.rs` reads and writes it.

mod de;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::redact::{redact_json, redact_text, redact_url};
use super::wire;

/// A material of a pipeline run (`build-cause[].material`).
///
/// A material type this crate does not know is kept as [`Material::Other`] with its
/// raw JSON, so a newer server never makes a notification unreadable.
#[derive(Clone, PartialEq)]
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
    /// A type this crate does not know, or a material without a `type`.
    Other {
        /// The material's `type`; empty when it had none.
        kind: String,
        /// The whole `material` object as it was sent.
        raw: Value,
    },
}

/// `Debug` for a configuration struct, field by field in this order, the
/// fields followed by `=> f` shown through `f`.
macro_rules! debug_config {
    ($name:ident { $($field:ident $(=> $redact:ident)?),+ $(,)? }) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($field), &debug_config!(@show self.$field $(, $redact)?)))+
                    .finish()
            }
        }
    };
    (@show $value:expr) => { $value };
    (@show $value:expr, $redact:ident) => { $redact(&$value) };
}

/// A configuration of a material read by serde: the fingerprint (set by `de.rs`
/// from the material's top level), then its fields, each read leniently, with a
/// `Debug` that shows every field in order and those marked `=> f` through `f`.
macro_rules! material_config {
    ($(
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$fdoc:meta])* $field:ident: $ty:ty $(=> $redact:ident)? ),+ $(,)?
        }
    )+) => { $(
        $(#[$doc])*
        #[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub struct $name {
            /// The material's fingerprint (v4).
            #[serde(skip)]
            pub fingerprint: Option<String>,
            $(
                $(#[$fdoc])*
                #[serde(default, deserialize_with = "wire::lenient::deserialize")]
                pub $field: $ty,
            )+
        }

        debug_config!($name { fingerprint, $($field $(=> $redact)?),+ });
    )+ };
}

material_config! {
    /// `git-configuration`
    GitConfig {
        /// The repository URL (GoCD masks a password as `******`).
        url: Option<String> => redacted,
        /// The branch.
        branch: Option<String>,
        /// Whether the clone is shallow.
        shallow_clone: Option<bool>,
    }

    /// `mercurial-configuration`
    MercurialConfig {
        /// The repository URL.
        url: Option<String> => redacted,
    }

    /// `svn-configuration`
    SvnConfig {
        /// The repository URL.
        url: Option<String> => redacted,
        /// The user name, if any.
        username: Option<String>,
        /// Whether externals are checked out.
        check_externals: Option<bool>,
    }

    /// `perforce-configuration`
    PerforceConfig {
        /// The server, `host:port`.
        url: Option<String> => redacted,
        /// The user name, if any.
        username: Option<String>,
        /// The client view.
        view: Option<String>,
        /// Whether tickets are used.
        use_tickets: Option<bool>,
    }

    /// `tfs-configuration`
    TfsConfig {
        /// The collection URL.
        url: Option<String> => redacted,
        /// The domain.
        domain: Option<String>,
        /// The user name, if any.
        username: Option<String>,
        /// The project path.
        project_path: Option<String>,
    }

    /// `pipeline-configuration`
    PipelineConfig {
        /// The upstream pipeline.
        pipeline_name: Option<String>,
        /// The upstream stage.
        stage_name: Option<String>,
    }
}

/// A package material: the plugin and its plugin-defined maps.
#[derive(Clone, PartialEq, Default)]
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
#[derive(Clone, PartialEq, Default)]
pub struct ScmConfig {
    /// The material's fingerprint (v4).
    pub fingerprint: Option<String>,
    /// The SCM plugin.
    pub plugin_id: Option<String>,
    /// `scm-configuration`
    pub scm_configuration: BTreeMap<String, String>,
}

impl Material {
    /// The material's `type`: `git`, `mercurial`, `svn`, `perforce`, `tfs`,
    /// `pipeline`, `package`, `scm`, or the text of a type this crate does not know.
    ///
    /// ```
    /// use notify_rules::model::{GitConfig, Material};
    ///
    /// assert_eq!(Material::Git(GitConfig::default()).kind(), "git");
    /// let other: Material = serde_json::from_str(r#"{"type":"fossil","fossil-configuration":{}}"#).unwrap();
    /// assert_eq!(other.kind(), "fossil");
    /// ```
    pub fn kind(&self) -> &str {
        match self {
            Material::Git(_) => "git",
            Material::Mercurial(_) => "mercurial",
            Material::Svn(_) => "svn",
            Material::Perforce(_) => "perforce",
            Material::Tfs(_) => "tfs",
            Material::Pipeline(_) => "pipeline",
            Material::Package(_) => "package",
            Material::Scm(_) => "scm",
            Material::Other { kind, .. } => kind,
        }
    }

    /// The URL as GoCD sent it, credentials included (GoCD masks passwords as
    /// `******`, but user names and query tokens stay): use
    /// [`Material::redacted_url`] for anything shown to people.
    ///
    /// For perforce this is the server's `host:port`; for package and SCM
    /// materials the first plugin setting named `url` or ending in `_url`/`-url`
    /// (case-insensitive); for an unknown type the `url` of its
    /// `<type>-configuration`; a pipeline material has none.
    pub fn url(&self) -> Option<&str> {
        match self {
            Material::Git(c) => c.url.as_deref(),
            Material::Mercurial(c) => c.url.as_deref(),
            Material::Svn(c) => c.url.as_deref(),
            Material::Perforce(c) => c.url.as_deref(),
            Material::Tfs(c) => c.url.as_deref(),
            Material::Pipeline(_) => None,
            Material::Package(c) => plugin_url(&c.repository_configuration)
                .or_else(|| plugin_url(&c.package_configuration)),
            Material::Scm(c) => plugin_url(&c.scm_configuration),
            Material::Other { kind, raw } => raw
                .get(format!("{kind}-configuration"))?
                .get("url")?
                .as_str(),
        }
    }

    /// The URL with credentials removed (see [`redact_url`]).
    ///
    /// ```
    /// use notify_rules::model::{GitConfig, Material};
    ///
    /// let git = Material::Git(GitConfig {
    ///     url: Some("https://ci:******@git.example.org/api.git".into()),
    ///     ..GitConfig::default()
    /// });
    /// assert_eq!(git.redacted_url().as_deref(), Some("https://git.example.org/api.git"));
    /// ```
    pub fn redacted_url(&self) -> Option<String> {
        self.url().map(redact_url)
    }

    /// The branch of a git material; `None` for every other kind.
    pub fn branch(&self) -> Option<&str> {
        match self {
            Material::Git(c) => c.branch.as_deref(),
            _ => None,
        }
    }

    /// The material's fingerprint (sent from extension version 4 on).
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Material::Git(c) => c.fingerprint.as_deref(),
            Material::Mercurial(c) => c.fingerprint.as_deref(),
            Material::Svn(c) => c.fingerprint.as_deref(),
            Material::Perforce(c) => c.fingerprint.as_deref(),
            Material::Tfs(c) => c.fingerprint.as_deref(),
            Material::Pipeline(c) => c.fingerprint.as_deref(),
            Material::Package(c) => c.fingerprint.as_deref(),
            Material::Scm(c) => c.fingerprint.as_deref(),
            Material::Other { raw, .. } => raw.get("fingerprint")?.as_str(),
        }
    }
}

fn plugin_url(map: &BTreeMap<String, String>) -> Option<&str> {
    map.iter()
        .find(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k == "url" || k.ends_with("_url") || k.ends_with("-url")
        })
        .map(|(_, v)| v.as_str())
}

// `Debug` by hand from here on: URLs and plugin settings may carry credentials,
// which must never reach logs through `{:?}`.

fn redacted(url: &Option<String>) -> Option<String> {
    url.as_deref().map(redact_url)
}

fn redacted_map(map: &BTreeMap<String, String>) -> BTreeMap<&str, String> {
    map.iter()
        .map(|(k, v)| (k.as_str(), redact_text(v)))
        .collect()
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Material::Git(c) => f.debug_tuple("Git").field(c).finish(),
            Material::Mercurial(c) => f.debug_tuple("Mercurial").field(c).finish(),
            Material::Svn(c) => f.debug_tuple("Svn").field(c).finish(),
            Material::Perforce(c) => f.debug_tuple("Perforce").field(c).finish(),
            Material::Tfs(c) => f.debug_tuple("Tfs").field(c).finish(),
            Material::Pipeline(c) => f.debug_tuple("Pipeline").field(c).finish(),
            Material::Package(c) => f.debug_tuple("Package").field(c).finish(),
            Material::Scm(c) => f.debug_tuple("Scm").field(c).finish(),
            Material::Other { kind, raw } => f
                .debug_struct("Other")
                .field("kind", kind)
                .field("raw", &redact_json(raw))
                .finish(),
        }
    }
}

debug_config!(PackageConfig {
    fingerprint,
    plugin_id,
    repository_configuration => redacted_map,
    package_configuration => redacted_map,
});
debug_config!(ScmConfig { fingerprint, plugin_id, scm_configuration => redacted_map });

#[cfg(test)]
mod tests;
