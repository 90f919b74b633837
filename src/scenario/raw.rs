//! The shape of a scenario file as serde reads it: the loader's raw types. The loader
//! (`load.rs`) deserializes a file into [`RawScenario`] and then checks what serde cannot
//! (positions, statements, names). The `steps:` list stays plain YAML values, checked by hand
//! (`steps.rs`) so that every mistake in a step gets its own line and column.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) versions: Option<Vec<String>>,
    #[serde(default)]
    pub(super) classes: Option<RawClasses>,
    #[serde(default)]
    pub(super) steps: Option<Vec<serde_yaml::Value>>,
    #[serde(default)]
    pub(super) trace: Option<TraceMode>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum TraceMode {
    Full,
    Summary,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClass {
    #[serde(rename = "__del__", default)]
    pub(super) del: Option<StrOrList>,
    #[serde(rename = "__slots__", default)]
    pub(super) slots: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum StrOrList {
    One(String),
    Many(Vec<String>),
}

/// Classes in file order; duplicate names are kept so the checker can report them.
pub(super) struct RawClasses(pub(super) Vec<(String, RawClass)>);

impl<'de> Deserialize<'de> for RawClasses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawClasses;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of class names to class specs")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<RawClasses, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    let spec: Option<RawClass> = m.next_value()?;
                    v.push((k, spec.unwrap_or_default()));
                }
                Ok(RawClasses(v))
            }
        }
        d.deserialize_map(V)
    }
}
