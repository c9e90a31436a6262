//! `crds:`: field specs read from OpenAPI definitions of custom types (kustomize's
//! `LoadConfigFromCRDs`).
//!
//! The file maps type names (`github.com/x/pkg/apis/v1.Bee`) to `{Schema, Dependencies}`. For
//! every type that looks like a Kubernetes object (has `kind`, `apiVersion` and `metadata`),
//! properties marked with `x-kubernetes-annotation`, `x-kubernetes-label-selector`,
//! `x-kubernetes-identity` or `x-kubernetes-object-ref-api-version` + `-kind` (+ `-name-key`)
//! become annotation, label, name-prefix and name-reference field specs, following `$ref`s.
//! The result is returned as a `configurations:`-style document.

use krust_yaml::{Mapping, Value};

use crate::error::{Error, ErrorKind, Result};

#[derive(Default)]
struct Specs {
    annotations: Vec<Value>,
    labels: Vec<Value>,
    prefix: Vec<Value>,
    name_refs: Vec<Value>,
}

fn spec(kind: &str, path: &[String]) -> Value {
    let mut m = Mapping::default();
    m.insert("kind".into(), Value::from(kind));
    m.insert("path".into(), Value::from(path.join("/")));
    Value::Map(m)
}

fn ext<'a>(prop: &'a Value, key: &str) -> Option<&'a str> {
    prop.get(key).and_then(Value::as_str)
}

fn load_type(
    specs: &mut Specs,
    kind: &str,
    types: &Mapping,
    type_name: &str,
    path: &[String],
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    let Some(props) = types
        .get(type_name)
        .and_then(|t| t.get_path(&["Schema", "properties"]))
        .and_then(Value::as_map)
    else {
        return;
    };
    for (name, prop) in props {
        let mut p = path.to_vec();
        p.push(name.clone());
        if ext(prop, "x-kubernetes-annotation").is_some() {
            specs.annotations.push(spec(kind, &p));
        }
        if ext(prop, "x-kubernetes-label-selector").is_some() {
            specs.labels.push(spec(kind, &p));
        }
        if ext(prop, "x-kubernetes-identity").is_some() {
            specs.prefix.push(spec(kind, &p));
        }
        if let (Some(version), Some(ref_kind)) = (
            ext(prop, "x-kubernetes-object-ref-api-version"),
            ext(prop, "x-kubernetes-object-ref-kind"),
        ) {
            let key = ext(prop, "x-kubernetes-object-ref-name-key").unwrap_or("name");
            let mut fp = p.clone();
            fp.push(key.to_string());
            let mut m = Mapping::default();
            m.insert("kind".into(), Value::from(ref_kind));
            m.insert("version".into(), Value::from(version));
            m.insert("fieldSpecs".into(), Value::Seq(vec![spec(kind, &fp)]));
            specs.name_refs.push(Value::Map(m));
        }
        if let Some(r) = ext(prop, "$ref") {
            load_type(specs, kind, types, r, &p, depth + 1);
        }
    }
}

/// Converts one `crds:` file into a transformer configuration document.
pub fn config_from_crd_file(text: &str, path: &str) -> Result<Value> {
    let doc = krust_yaml::parse_one(text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidKustomization,
            format!("unable to parse open API definition from '{path}': {e}"),
        )
        .at(path)
    })?;
    let empty = Mapping::default();
    let types = doc.as_map().unwrap_or(&empty);
    let mut specs = Specs::default();
    for (name, t) in types {
        let Some(props) = t
            .get_path(&["Schema", "properties"])
            .and_then(Value::as_map)
        else {
            continue;
        };
        if !["kind", "apiVersion", "metadata"]
            .iter()
            .all(|k| props.contains_key(*k))
        {
            continue;
        }
        let kind = name.rsplit('.').next().unwrap_or(name);
        load_type(&mut specs, kind, types, name, &[], 0);
    }
    let mut cfg = Mapping::default();
    for (key, list) in [
        ("commonAnnotations", specs.annotations),
        ("commonLabels", specs.labels),
        ("namePrefix", specs.prefix),
        ("nameReference", specs.name_refs),
    ] {
        if !list.is_empty() {
            cfg.insert(key.into(), Value::Seq(list));
        }
    }
    Ok(Value::Map(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_references_from_extensions() {
        let text = r#"{"v1.Kind": {"Schema": {"properties": {"kind": {}, "apiVersion": {}, "metadata": {},
            "spec": {"$ref": "v1.Spec"}}}},
            "v1.Spec": {"Schema": {"properties": {"secretRef": {"x-kubernetes-object-ref-api-version": "v1",
            "x-kubernetes-object-ref-kind": "Secret"}}}}}"#;
        let cfg = config_from_crd_file(text, "c.json").unwrap();
        let nr = &cfg.get("nameReference").unwrap().as_seq().unwrap()[0];
        assert_eq!(nr.str_at(&["kind"]), Some("Secret"));
        let fs = &nr.get("fieldSpecs").unwrap().as_seq().unwrap()[0];
        assert_eq!(fs.str_at(&["path"]), Some("spec/secretRef/name"));
        assert_eq!(fs.str_at(&["kind"]), Some("Kind"));
    }
}
