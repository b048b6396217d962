//! The wire form of [`Material`]: `{"type": .., "fingerprint": .., "<type>-configuration": {..}}`.
//!
//! Reading is streaming: each configuration entry is read straight into its typed
//! struct (the entry's key says which), whatever the key order, so a known material
//! never goes through `serde_json::Value`. Only a material of a type this crate
//! does not know is kept as a `Value`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::{self, SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    GitConfig, Material, MercurialConfig, PackageConfig, PerforceConfig, PipelineConfig, ScmConfig,
    SvnConfig, TfsConfig,
};
use crate::model::wire;

/// The kinds with a typed variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Git,
    Mercurial,
    Svn,
    Perforce,
    Tfs,
    Pipeline,
    Package,
    Scm,
}

impl Kind {
    fn from_wire(s: &str) -> Option<Kind> {
        Some(match s {
            "git" => Kind::Git,
            "mercurial" => Kind::Mercurial,
            "svn" => Kind::Svn,
            "perforce" => Kind::Perforce,
            "tfs" => Kind::Tfs,
            "pipeline" => Kind::Pipeline,
            "package" => Kind::Package,
            "scm" => Kind::Scm,
            _ => return None,
        })
    }
}

/// The keys of the material object, each named once: `Key::name` writes them
/// and `Key::from_wire` reads them.
macro_rules! keys {
    ($($key:ident => $name:literal,)+) => {
        /// A key of the material object.
        enum Key {
            $($key,)+
            Other(String),
        }

        impl Key {
            fn name(&self) -> &str {
                match self {
                    $(Key::$key => $name,)+
                    Key::Other(s) => s,
                }
            }

            fn from_wire(v: &str) -> Key {
                match v {
                    $($name => Key::$key,)+
                    other => Key::Other(other.to_owned()),
                }
            }
        }
    };
}

keys! {
    Type => "type",
    Fingerprint => "fingerprint",
    Git => "git-configuration",
    Mercurial => "mercurial-configuration",
    Svn => "svn-configuration",
    Perforce => "perforce-configuration",
    Tfs => "tfs-configuration",
    Pipeline => "pipeline-configuration",
    PluginId => "plugin-id",
    RepositoryConfiguration => "repository-configuration",
    PackageConfiguration => "package-configuration",
    ScmConfiguration => "scm-configuration",
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a material key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key::from_wire(v))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The `type` value: a known kind, or the text of an unknown one.
struct TypeName(Result<Kind, String>);

impl<'de> Deserialize<'de> for TypeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TypeName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a material type string such as \"git\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TypeName, E> {
                Ok(TypeName(Kind::from_wire(v).ok_or_else(|| v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A plugin-defined string map (`null` reads as empty).
#[derive(Deserialize)]
struct StringMap(#[serde(with = "wire::string_map")] BTreeMap<String, String>);

/// Everything read from the material object so far.
#[derive(Default)]
struct Parts {
    kind: Option<Result<Kind, String>>,
    /// `Some(None)`: present and null.
    fingerprint: Option<Option<String>>,
    git: Option<GitConfig>,
    mercurial: Option<MercurialConfig>,
    svn: Option<SvnConfig>,
    perforce: Option<PerforceConfig>,
    tfs: Option<TfsConfig>,
    pipeline: Option<PipelineConfig>,
    plugin_id: Option<Option<String>>,
    repository_configuration: Option<BTreeMap<String, String>>,
    package_configuration: Option<BTreeMap<String, String>>,
    scm_configuration: Option<BTreeMap<String, String>>,
    /// For an unknown type: the entries that are kept as sent.
    raw: Map<String, Value>,
}

/// Reads one typed entry into `slot`, refusing a second one.
fn read_once<'de, A, T>(map: &mut A, slot: &mut Option<T>, key: &Key) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    if slot.is_some() {
        // `key.name()` is one of the fixed names above, so it lives long enough.
        return Err(de::Error::custom(format_args!(
            "duplicate field `{}`",
            key.name()
        )));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Reads a configuration object; `null` reads as the default.
fn read_config<'de, A, T>(map: &mut A, slot: &mut Option<T>, key: &Key) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de> + Default,
{
    let mut value: Option<Option<T>> = None;
    if slot.is_some() {
        return Err(de::Error::custom(format_args!(
            "duplicate field `{}`",
            key.name()
        )));
    }
    read_once(map, &mut value, key)?;
    *slot = Some(value.flatten().unwrap_or_default());
    Ok(())
}

struct MaterialVisitor;

impl<'de> Visitor<'de> for MaterialVisitor {
    type Value = Material;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a material object with a `type`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Material, A::Error> {
        let mut p = Parts::default();
        while let Some(key) = map.next_key::<Key>()? {
            // Once the type is known to be one this crate does not know, every
            // other entry is kept as sent.
            if matches!(p.kind, Some(Err(_))) && !matches!(key, Key::Type) {
                let value: Value = map.next_value()?;
                if p.raw.insert(key.name().to_owned(), value).is_some() {
                    return Err(de::Error::custom(format_args!(
                        "duplicate field `{}`",
                        key.name()
                    )));
                }
                continue;
            }
            match key {
                Key::Type => {
                    if p.kind.is_some() {
                        return Err(de::Error::duplicate_field("type"));
                    }
                    p.kind = Some(map.next_value::<TypeName>()?.0);
                }
                Key::Fingerprint => read_once(&mut map, &mut p.fingerprint, &key)?,
                Key::Git => read_config(&mut map, &mut p.git, &key)?,
                Key::Mercurial => read_config(&mut map, &mut p.mercurial, &key)?,
                Key::Svn => read_config(&mut map, &mut p.svn, &key)?,
                Key::Perforce => read_config(&mut map, &mut p.perforce, &key)?,
                Key::Tfs => read_config(&mut map, &mut p.tfs, &key)?,
                Key::Pipeline => read_config(&mut map, &mut p.pipeline, &key)?,
                Key::PluginId => read_once(&mut map, &mut p.plugin_id, &key)?,
                Key::RepositoryConfiguration => {
                    let mut m: Option<StringMap> = None;
                    read_once(&mut map, &mut m, &key)?;
                    set_map(&mut p.repository_configuration, m, &key)?;
                }
                Key::PackageConfiguration => {
                    let mut m: Option<StringMap> = None;
                    read_once(&mut map, &mut m, &key)?;
                    set_map(&mut p.package_configuration, m, &key)?;
                }
                Key::ScmConfiguration => {
                    let mut m: Option<StringMap> = None;
                    read_once(&mut map, &mut m, &key)?;
                    set_map(&mut p.scm_configuration, m, &key)?;
                }
                Key::Other(name) => {
                    if p.kind.is_some() {
                        // A known type: extra keys are none of its business.
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        // The type is not known yet; it may be one that keeps them.
                        let value: Value = map.next_value()?;
                        if p.raw.insert(name.clone(), value).is_some() {
                            return Err(de::Error::custom(format_args!(
                                "duplicate field `{name}`"
                            )));
                        }
                    }
                }
            }
        }
        p.finish()
    }
}

fn set_map<E: de::Error>(
    slot: &mut Option<BTreeMap<String, String>>,
    m: Option<StringMap>,
    key: &Key,
) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom(format_args!("duplicate field `{}`", key.name())));
    }
    *slot = m.map(|m| m.0);
    Ok(())
}

impl Parts {
    fn finish<E: de::Error>(mut self) -> Result<Material, E> {
        let kind = match self.kind.take() {
            // GoCD 15's docs show `"material": {}`: a material, of no known kind.
            None => return self.into_other(String::new(), false),
            Some(Ok(kind)) => kind,
            Some(Err(name)) => return self.into_other(name, true),
        };
        let fingerprint = self.fingerprint.flatten();
        // The fingerprint is a key of the material, beside its configuration.
        macro_rules! with_fingerprint {
            ($variant:ident, $config:ident, $slot:ident) => {
                Material::$variant($config {
                    fingerprint,
                    ..self.$slot.unwrap_or_default()
                })
            };
        }
        Ok(match kind {
            Kind::Git => with_fingerprint!(Git, GitConfig, git),
            Kind::Mercurial => with_fingerprint!(Mercurial, MercurialConfig, mercurial),
            Kind::Svn => with_fingerprint!(Svn, SvnConfig, svn),
            Kind::Perforce => with_fingerprint!(Perforce, PerforceConfig, perforce),
            Kind::Tfs => with_fingerprint!(Tfs, TfsConfig, tfs),
            Kind::Pipeline => with_fingerprint!(Pipeline, PipelineConfig, pipeline),
            Kind::Package => Material::Package(PackageConfig {
                fingerprint,
                plugin_id: self.plugin_id.flatten(),
                repository_configuration: self.repository_configuration.unwrap_or_default(),
                package_configuration: self.package_configuration.unwrap_or_default(),
            }),
            Kind::Scm => Material::Scm(ScmConfig {
                fingerprint,
                plugin_id: self.plugin_id.flatten(),
                scm_configuration: self.scm_configuration.unwrap_or_default(),
            }),
        })
    }

    /// An unknown type. Entries read before the `type` key under a known name were
    /// read typed; they are written back as JSON, which keeps every field those
    /// types know (fields they do not know were not kept).
    fn into_other<E: de::Error>(self, kind: String, typed: bool) -> Result<Material, E> {
        fn put<T: Serialize, E: de::Error>(
            raw: &mut Map<String, Value>,
            key: &str,
            v: Option<T>,
        ) -> Result<(), E> {
            if let Some(v) = v {
                raw.insert(key.to_owned(), serde_json::to_value(v).map_err(E::custom)?);
            }
            Ok(())
        }
        let mut raw = self.raw;
        put(&mut raw, "fingerprint", self.fingerprint)?;
        put(&mut raw, "git-configuration", self.git)?;
        put(&mut raw, "mercurial-configuration", self.mercurial)?;
        put(&mut raw, "svn-configuration", self.svn)?;
        put(&mut raw, "perforce-configuration", self.perforce)?;
        put(&mut raw, "tfs-configuration", self.tfs)?;
        put(&mut raw, "pipeline-configuration", self.pipeline)?;
        put(&mut raw, "plugin-id", self.plugin_id)?;
        put(
            &mut raw,
            "repository-configuration",
            self.repository_configuration,
        )?;
        put(
            &mut raw,
            "package-configuration",
            self.package_configuration,
        )?;
        put(&mut raw, "scm-configuration", self.scm_configuration)?;
        if typed {
            raw.insert("type".to_owned(), Value::String(kind.clone()));
        }
        Ok(Material::Other {
            kind,
            raw: Value::Object(raw),
        })
    }
}

impl<'de> Deserialize<'de> for Material {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MaterialVisitor)
    }
}

impl Serialize for Material {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        // A material sent without a `type` is written back without one.
        let typed = match self {
            Material::Other { kind, raw } => !kind.is_empty() || raw.get("type").is_some(),
            _ => true,
        };
        if typed {
            m.serialize_entry("type", self.kind())?;
        }
        if let Material::Other { raw, .. } = self {
            match raw {
                Value::Object(o) => {
                    for (k, v) in o.iter().filter(|(k, _)| *k != "type") {
                        m.serialize_entry(k, v)?;
                    }
                }
                Value::Null => {}
                other => {
                    return Err(ser::Error::custom(format_args!(
                        "the raw JSON of a material of type `{}` must be an object, not {}",
                        self.kind(),
                        json_kind(other)
                    )))
                }
            }
            return m.end();
        }
        if let Some(fp) = self.fingerprint() {
            m.serialize_entry("fingerprint", fp)?;
        }
        match self {
            Material::Git(c) => m.serialize_entry("git-configuration", c)?,
            Material::Mercurial(c) => m.serialize_entry("mercurial-configuration", c)?,
            Material::Svn(c) => m.serialize_entry("svn-configuration", c)?,
            Material::Perforce(c) => m.serialize_entry("perforce-configuration", c)?,
            Material::Tfs(c) => m.serialize_entry("tfs-configuration", c)?,
            Material::Pipeline(c) => m.serialize_entry("pipeline-configuration", c)?,
            Material::Package(c) => {
                m.serialize_entry("plugin-id", &c.plugin_id)?;
                m.serialize_entry("repository-configuration", &c.repository_configuration)?;
                m.serialize_entry("package-configuration", &c.package_configuration)?;
            }
            Material::Scm(c) => {
                m.serialize_entry("plugin-id", &c.plugin_id)?;
                m.serialize_entry("scm-configuration", &c.scm_configuration)?;
            }
            Material::Other { .. } => {}
        }
        m.end()
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
