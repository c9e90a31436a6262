//! kustomize-controller's kustomization generator: which kustomization a Flux Kustomization's
//! directory is built with.
//!
//! - When the directory has a kustomization file, it is used; otherwise one is generated listing,
//!   in lexical walk order, every sub-directory that has a kustomization file (not descended
//!   further) and every `.yaml`/`.yml` file that decodes as Kubernetes objects; an empty directory
//!   gets `namespace: _placeholder` and no resources.
//! - Then the spec's fields are merged in: `targetNamespace` replaces `namespace`, `namePrefix` and
//!   `nameSuffix` replace the kustomization's own, `patches`, `patchesStrategicMerge`,
//!   `patchesJson6902` and `components` are appended (components must be local and relative;
//!   `ignoreMissingComponents` drops missing ones), `images` are merged by name, `buildMetadata`
//!   replaces the kustomization's.

use std::path::{Path, PathBuf};

use krust_yaml::{Mapping, Value};

use crate::engine::{is_remote, KUSTOMIZATION_FILE_NAMES};
use crate::json::to_json;
use crate::sourceignore::SourceIgnore;

/// The kustomization a directory is built with.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The kustomization (edited or generated).
    pub kustomization: Value,
    /// The kustomization file that was read (`None` when generated).
    pub file: Option<PathBuf>,
    /// True when the spec changed anything (the directory cannot be built as is).
    pub modified: bool,
}

/// Finds the directory's kustomization file, if any, among the files the source artifact keeps
/// (all files without `ignore`).
pub fn find_kustomization_file(dir: &Path, ignore: Option<&SourceIgnore>) -> Option<PathBuf> {
    KUSTOMIZATION_FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file() && !ignore.is_some_and(|i| i.hides(p)))
}

/// Reads or generates the kustomization of `dir` and merges the Flux Kustomization `spec` into it.
/// With `ignore`, what the source artifact leaves out is neither the kustomization file nor
/// listed in a generated one.
pub fn generate(
    dir: &Path,
    spec: Option<&Value>,
    ignore: Option<&SourceIgnore>,
) -> Result<Generated, String> {
    let (mut kust, file, mut modified) = match find_kustomization_file(dir, ignore) {
        Some(file) => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("reading {}: {e}", file.display()))?;
            let v = krust_yaml::parse_one(&text)
                .map_err(|e| format!("parsing {}: {e}", file.display()))?;
            let v = if v.is_null() { Value::new_map() } else { v };
            (v, Some(file), false)
        }
        None => (generate_for_dir(dir, ignore)?, None, true),
    };
    let Some(spec) = spec else {
        return Ok(Generated {
            kustomization: kust,
            file,
            modified,
        });
    };
    let Some(map) = kust.as_map_mut() else {
        return Err("the kustomization file is not a mapping".into());
    };
    for (field, target) in [
        ("targetNamespace", "namespace"),
        ("namePrefix", "namePrefix"),
        ("nameSuffix", "nameSuffix"),
    ] {
        if let Some(Value::String(s)) = spec.get(field) {
            map.insert(target.into(), Value::String(s.clone()));
            modified = true;
        }
    }
    if let Some(Value::Seq(patches)) = spec.get("patches") {
        for p in patches {
            let mut entry = Mapping::default();
            if let Some(text) = p.get("patch") {
                entry.insert("patch".into(), text.clone());
            }
            if let Some(t) = p.get("target").filter(|t| !t.is_null()) {
                entry.insert("target".into(), t.clone());
            }
            append(map, "patches", Value::Map(entry));
            modified = true;
        }
    }
    if let Some(Value::Seq(components)) = spec.get("components") {
        let ignore_missing = spec.get("ignoreMissingComponents") == Some(&Value::Bool(true));
        for c in components {
            let Some(c) = c.as_str() else { continue };
            if !is_local_relative(c) {
                return Err(format!("component path '{c}' must be local and relative"));
            }
            if ignore_missing && !dir.join(c).exists() {
                continue;
            }
            append(map, "components", Value::String(c.to_string()));
            modified = true;
        }
    }
    if let Some(Value::Seq(patches)) = spec.get("patchesStrategicMerge") {
        for p in patches {
            append(map, "patchesStrategicMerge", Value::String(to_json(p)));
            modified = true;
        }
    }
    if let Some(Value::Seq(patches)) = spec.get("patchesJson6902") {
        for p in patches {
            let mut entry = Mapping::default();
            entry.insert(
                "patch".into(),
                Value::String(to_json(p.get("patch").unwrap_or(&Value::Null))),
            );
            if let Some(t) = p.get("target") {
                entry.insert("target".into(), t.clone());
            }
            append(map, "patchesJson6902", Value::Map(entry));
            modified = true;
        }
    }
    if let Some(Value::Seq(images)) = spec.get("images") {
        for img in images {
            merge_image(map, img);
            modified = true;
        }
    }
    if let Some(Value::Seq(bm)) = spec.get("buildMetadata") {
        if !bm.is_empty() {
            map.insert("buildMetadata".into(), Value::Seq(bm.clone()));
            modified = true;
        }
    }
    Ok(Generated {
        kustomization: kust,
        file,
        modified,
    })
}

fn append(map: &mut Mapping, field: &str, v: Value) {
    match map.get_mut(field) {
        Some(Value::Seq(items)) => items.push(v),
        _ => {
            map.insert(field.into(), Value::Seq(vec![v]));
        }
    }
}

fn merge_image(map: &mut Mapping, img: &Value) {
    let name = img.str_at(&["name"]).unwrap_or("");
    let get = |k: &str| img.str_at(&[k]).unwrap_or("").to_string();
    let (new_name, new_tag, digest) = (get("newName"), get("newTag"), get("digest"));
    if let Some(Value::Seq(images)) = map.get_mut("images") {
        if let Some(existing) = images
            .iter_mut()
            .find(|i| i.str_at(&["name"]) == Some(name))
            .and_then(Value::as_map_mut)
        {
            if !new_name.is_empty() {
                existing.insert("newName".into(), Value::String(new_name));
            }
            if !new_tag.is_empty() || !digest.is_empty() {
                set_or_remove(existing, "newTag", new_tag);
                set_or_remove(existing, "digest", digest);
            }
            return;
        }
    }
    let mut entry = Mapping::default();
    entry.insert("name".into(), Value::String(name.to_string()));
    for (k, v) in [
        ("newName", new_name),
        ("newTag", new_tag),
        ("digest", digest),
    ] {
        if !v.is_empty() {
            entry.insert(k.into(), Value::String(v));
        }
    }
    append(map, "images", Value::Map(entry));
}

fn set_or_remove(m: &mut Mapping, k: &str, v: String) {
    if v.is_empty() {
        m.shift_remove(k);
    } else {
        m.insert(k.into(), Value::String(v));
    }
}

/// Flux's check for component paths: no URL-ish prefixes, not absolute.
pub fn is_local_relative(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    for p in [
        "git::",
        "gh:",
        "ssh://",
        "https://",
        "http://",
        "git@",
        "github.com:",
        "github.com/",
    ] {
        if p.len() < path.len() && lower.starts_with(p) {
            return false;
        }
    }
    !(path.starts_with('/') || lower.trim_start_matches("file://").starts_with('/'))
}

/// Generates the kustomization kustomize-controller writes into a directory that has none, over
/// the files the source artifact keeps (all files without `ignore`).
pub fn generate_for_dir(dir: &Path, ignore: Option<&SourceIgnore>) -> Result<Value, String> {
    let mut resources = Vec::new();
    walk(dir, dir, ignore, &mut resources)?;
    let mut map = Mapping::default();
    map.insert(
        "apiVersion".into(),
        Value::String("kustomize.config.k8s.io/v1beta1".into()),
    );
    map.insert("kind".into(), Value::String("Kustomization".into()));
    if resources.is_empty() {
        map.insert("namespace".into(), Value::String("_placeholder".into()));
    } else {
        map.insert(
            "resources".into(),
            Value::Seq(resources.into_iter().map(Value::String).collect()),
        );
    }
    Ok(Value::Map(map))
}

fn walk(
    base: &Path,
    dir: &Path,
    ignore: Option<&SourceIgnore>,
    out: &mut Vec<String>,
) -> Result<(), String> {
    let mut entries: Vec<(String, PathBuf, bool)> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| {
            let p = e.path();
            let is_dir = p.is_dir();
            (e.file_name().to_string_lossy().into_owned(), p, is_dir)
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, path, is_dir) in entries {
        let rel = || {
            format!(
                "./{}",
                path.strip_prefix(base).unwrap_or(&path).to_string_lossy()
            )
        };
        if is_dir {
            if ignore.is_some_and(|i| i.prunes_dir(&path)) {
                continue;
            }
            if find_kustomization_file(&path, ignore).is_some() {
                out.push(rel());
            } else {
                walk(base, &path, ignore, out)?;
            }
            continue;
        }
        if ignore.is_some_and(|i| i.is_ignored(&path, false)) {
            continue;
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "yaml" && ext != "yml" {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let docs = krust_yaml::parse_documents(&text).map_err(|e| {
            format!(
                "failed to decode Kubernetes YAML from {}: {e}",
                path.display()
            )
        })?;
        for d in &docs {
            if d.value.is_null() {
                continue;
            }
            if d.value.str_at(&["kind"]).is_none() {
                return Err(format!(
                    "failed to decode Kubernetes YAML from {}: missing Resource metadata (line {})",
                    path.display(),
                    d.line
                ));
            }
        }
        out.push(rel());
    }
    Ok(())
}

/// True when `s` names a remote resource (kept for callers that filter resources).
pub fn is_remote_resource(s: &str) -> bool {
    is_remote(s)
}
