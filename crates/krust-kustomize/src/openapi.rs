//! Custom OpenAPI schemas (`openapi: {path: …}`): the merge keys and patch strategies of custom
//! resources for strategic merge patches.
//!
//! The schema file (JSON or YAML, Swagger 2 style `definitions` with
//! `x-kubernetes-group-version-kind`, `x-kubernetes-patch-merge-key`, …) is converted into the
//! patch module's [`MergeSchema`]. As in kustomize, a custom schema replaces the built-in one.

use krust_yaml::{Mapping, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::patch::MergeSchema;

/// The only built-in OpenAPI version kustomize accepts in `openapi.version`.
pub const BUILTIN_OPENAPI_VERSION: &str = "v1.21.2";

fn ref_name(prop: &Value) -> Option<&str> {
    prop.str_at(&["$ref"])
        .map(|r| r.rsplit('/').next().unwrap_or(r))
}

/// Shape letter and target definition of a property (see `scripts/gen-merge-keys`).
fn field_shape(prop: &Value) -> (&'static str, Option<&str>) {
    if let Some(t) = ref_name(prop) {
        return ("o", Some(t));
    }
    let is_array = match prop.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Seq(ts)) => ts.iter().any(|t| t.as_str() == Some("array")),
        _ => false,
    };
    if is_array {
        return ("a", prop.get("items").and_then(ref_name));
    }
    if let Some(add @ Value::Map(_)) = prop.get("additionalProperties") {
        if let Some(t) = ref_name(add) {
            return ("m", Some(t));
        }
    }
    ("s", None)
}

/// Definition names as the built-in table spells them (`io.k8s.` dropped), so custom and
/// built-in definitions share one namespace.
fn clean(s: &str) -> String {
    let s = s.strip_prefix("io.k8s.").unwrap_or(s);
    s.replace(['\t', '\n'], " ")
}

/// The built-in merge-key table (see `scripts/gen-merge-keys`).
const BUILTIN_TABLE: &str = include_str!("patch/merge_keys.tsv");

/// Converts an OpenAPI document into a merge schema.
pub fn merge_schema_from_openapi(text: &str, path: &str) -> Result<MergeSchema> {
    let bad = |m: String| {
        Error::new(
            ErrorKind::InvalidKustomization,
            format!("invalid schema file: {m}"),
        )
        .at(path)
    };
    let doc = krust_yaml::parse_one(text).map_err(|e| bad(e.to_string()))?;
    let empty = Mapping::default();
    let defs = doc
        .get("definitions")
        .and_then(Value::as_map)
        .unwrap_or(&empty);
    let mut lines = Vec::new();
    for (name, d) in defs {
        if let Some(Value::Seq(gvks)) = d.get("x-kubernetes-group-version-kind") {
            for gvk in gvks {
                let group = gvk.str_at(&["group"]).unwrap_or("");
                let version = gvk.str_at(&["version"]).unwrap_or("");
                let kind = gvk.str_at(&["kind"]).unwrap_or("");
                let api = if group.is_empty() {
                    version.to_string()
                } else {
                    format!("{group}/{version}")
                };
                lines.push(format!(
                    "K\t{}\t{}\t{}",
                    clean(&api),
                    clean(kind),
                    clean(name)
                ));
            }
        }
    }
    let mut known: std::collections::HashSet<String> = defs.keys().cloned().collect();
    // A `$ref` to a definition the file does not have (e.g. a CRD embedding a PodTemplateSpec)
    // resolves against the built-in definitions, which kustomize also still holds then.
    let mut missing_refs = false;
    let mut pending: Vec<(String, &Value)> = defs.iter().map(|(n, d)| (n.clone(), d)).collect();
    // Inline object schemas (`properties` without `$ref`) become synthetic definitions named
    // after their parent, so lookups can descend into them.
    while let Some((name, d)) = pending.pop() {
        lines.push(format!("D\t{}", clean(&name)));
        let Some(props) = d.get("properties").and_then(Value::as_map) else {
            continue;
        };
        for (field, prop) in props {
            let (mut shape, target) = field_shape(prop);
            if target.is_some_and(|t| !defs.contains_key(t)) {
                missing_refs = true;
            }
            let mut target = target.map(str::to_string);
            if target.is_none() {
                let inline = match shape {
                    "a" => prop.get("items").filter(|i| i.get("properties").is_some()),
                    _ if prop.get("properties").is_some() => Some(prop),
                    _ => None,
                };
                if let Some(inline) = inline {
                    let synthetic = format!("{name}/{field}");
                    if known.insert(synthetic.clone()) {
                        pending.push((synthetic.clone(), inline));
                    }
                    if shape == "s" {
                        shape = "o";
                    }
                    target = Some(synthetic);
                }
            }
            let target = target.unwrap_or_else(|| "-".to_string());
            let keys = match prop.get("x-kubernetes-list-map-keys") {
                Some(Value::Seq(ks)) => ks
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                _ => prop
                    .str_at(&["x-kubernetes-patch-merge-key"])
                    .unwrap_or("-")
                    .to_string(),
            };
            let strategy = prop.str_at(&["x-kubernetes-patch-strategy"]).unwrap_or("-");
            let list_type = prop.str_at(&["x-kubernetes-list-type"]).unwrap_or("-");
            lines.push(
                [
                    "F",
                    &clean(field),
                    shape,
                    &clean(&target),
                    &clean(strategy),
                    &clean(if keys.is_empty() { "-" } else { &keys }),
                    &clean(list_type),
                ]
                .join("\t"),
            );
        }
    }
    let mut text = String::new();
    if missing_refs {
        text.push_str(BUILTIN_TABLE);
        text.push('\n');
    }
    text.push_str(&lines.join("\n"));
    // Targets that no definition answers to are dropped rather than failing the build.
    let known_defs: std::collections::HashSet<&str> =
        text.lines().filter_map(|l| l.strip_prefix("D\t")).collect();
    let filtered: Vec<String> = text
        .lines()
        .map(|l| {
            let mut cols: Vec<&str> = l.split('\t').collect();
            if cols.len() == 7 && cols[0] == "F" && cols[3] != "-" && !known_defs.contains(cols[3])
            {
                cols[3] = "-";
            }
            cols.join("\t")
        })
        .collect();
    MergeSchema::parse(&filtered.join("\n")).map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_definitions() {
        let text = r##"{"definitions": {"v1.My": {"properties": {"spec": {"$ref": "#/definitions/v1.Spec"}},
            "x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "My", "version": "v1"}]},
            "v1.Spec": {"properties": {"items": {"type": "array", "items": {"$ref": "#/definitions/v1.Item"},
            "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"}}},
            "v1.Item": {"properties": {"name": {"type": "string"}}}}}"##;
        let s = merge_schema_from_openapi(text, "s.json").unwrap();
        let inline = r##"{"definitions": {"v1.My": {"properties": {"spec": {"type": "object", "properties": {"x": {"type": "string"}}}},
            "x-kubernetes-group-version-kind": [{"group": "", "kind": "My", "version": "v1"}]}}}"##;
        assert!(merge_schema_from_openapi(inline, "i.json")
            .unwrap()
            .for_type("v1", "My")
            .is_some());
        assert!(s.for_type("example.com/v1", "My").is_some());
        assert!(merge_schema_from_openapi("definitions: [", "x").is_err());
    }
}
