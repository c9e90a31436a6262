//! Connects a kustomization's transformer fields to the builtin transformers, in kustomize's
//! order (`configureBuiltinTransformers`): strategic merge patches, patches, namespace, prefix,
//! suffix, labels, annotations, JSON 6902 patches, replicas, images, replacements.
//!
//! Field values are parsed here from the raw kustomization items; the transformers themselves
//! live in [`crate::transformers`], [`crate::patch`] and [`crate::replacements`].

use krust_yaml::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::kustomization::Kustomization;
use crate::loader::Loader;
use crate::patch::{self, MergeSchema, PatchError, PatchOptions, PatchSource, Selector};
use crate::resource::ResMap;
use crate::transformers::{
    self, fieldspec::FieldSpec, prefix_suffix::Affix, Image, LabelsEntry, NamespaceOptions,
    PrefixSuffix, Replica, TransformError, TransformerConfig,
};

pub(crate) fn terr(e: TransformError) -> Error {
    Error::new(ErrorKind::Transform, e.to_string())
}

fn bad_field(field: &str, msg: impl AsRef<str>) -> Error {
    Error::new(
        ErrorKind::InvalidKustomization,
        format!("invalid Kustomization: {field}: {}", msg.as_ref()),
    )
}

/// The transformer configuration in force: kustomize's defaults merged with every
/// `configurations:` document accumulated so far.
pub(crate) fn transformer_config(configurations: &[Value]) -> Result<TransformerConfig> {
    let mut tc = TransformerConfig::defaults();
    for c in configurations {
        let more = TransformerConfig::from_value(c).map_err(terr)?;
        tc.merge(more).map_err(terr)?;
    }
    Ok(tc)
}

fn string_pairs(m: &indexmap::IndexMap<String, String>) -> Vec<(String, String)> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

pub(crate) fn scalar_string(v: &Value) -> String {
    v.scalar_text().unwrap_or_default()
}

pub(crate) fn parse_labels_entry(v: &Value) -> Result<LabelsEntry> {
    let m = v
        .as_map()
        .ok_or_else(|| bad_field("labels", "each entry must be a mapping"))?;
    let mut e = LabelsEntry::default();
    for (k, val) in m {
        match k.as_str() {
            "pairs" => {
                if let Some(pm) = val.as_map() {
                    e.pairs = pm
                        .iter()
                        .map(|(k, v)| (k.clone(), scalar_string(v)))
                        .collect();
                }
            }
            "includeSelectors" => e.include_selectors = matches!(val, Value::Bool(true)),
            "includeTemplates" => e.include_templates = matches!(val, Value::Bool(true)),
            "includeVolumeClaimTemplates" => {
                e.include_volume_claim_templates = matches!(val, Value::Bool(true))
            }
            "fields" => e.fields = FieldSpec::list_from_value(val).map_err(terr)?,
            other => return Err(bad_field("labels", format!("unknown field \"{other}\""))),
        }
    }
    Ok(e)
}

pub(crate) fn parse_image(v: &Value) -> Result<Image> {
    let m = v
        .as_map()
        .ok_or_else(|| bad_field("images", "each entry must be a mapping"))?;
    let mut img = Image::default();
    for (k, val) in m {
        let s = scalar_string(val);
        match k.as_str() {
            "name" => img.name = s,
            "newName" => img.new_name = s,
            "newTag" => img.new_tag = s,
            "digest" => img.digest = s,
            "tagSuffix" => img.tag_suffix = s,
            other => return Err(bad_field("images", format!("unknown field \"{other}\""))),
        }
    }
    Ok(img)
}

pub(crate) fn parse_replica(v: &Value) -> Result<Replica> {
    let m = v
        .as_map()
        .ok_or_else(|| bad_field("replicas", "each entry must be a mapping"))?;
    let mut r = Replica {
        name: String::new(),
        count: 0,
    };
    for (k, val) in m {
        match k.as_str() {
            "name" => r.name = scalar_string(val),
            "count" => {
                r.count = match val {
                    Value::Int(i) => *i,
                    Value::Null => 0,
                    other => {
                        return Err(bad_field(
                            "replicas",
                            format!("count must be an integer, found a {}", other.kind_name()),
                        ))
                    }
                }
            }
            other => return Err(bad_field("replicas", format!("unknown field \"{other}\""))),
        }
    }
    Ok(r)
}

pub(crate) fn perr(e: PatchError) -> Error {
    Error::new(ErrorKind::Transform, e.to_string())
}

/// `patchesStrategicMerge`: each entry is an inline patch or a file; all documents are applied
/// in order, each to the one resource with its id.
fn run_patches_strategic_merge(
    k: &Kustomization,
    ldr: &Loader<'_>,
    resources: &mut ResMap,
    schema: &MergeSchema,
) -> Result<()> {
    let mut entries = Vec::new();
    let mut docs = Vec::new();
    for v in &k.patches_strategic_merge {
        let text = match v {
            Value::String(s) => s.clone(),
            other => {
                return Err(bad_field(
                    "patchesStrategicMerge",
                    format!("entries must be strings, found a {}", other.kind_name()),
                ))
            }
        };
        entries.push(text.clone());
        // kustomize first tries the entry itself as a patch, then as a file path.
        if let Ok(inline) = patch::parse_strategic_merge_patches(&text) {
            docs.extend(inline);
            continue;
        }
        let content = ldr.load_text(&text).map_err(|e| {
            e.wrap(format!(
                "trouble configuring builtin PatchStrategicMergeTransformer with config: `\npaths:\n- {text}\n`"
            ))
        })?;
        let parsed = patch::parse_strategic_merge_patches(&content)
            .map_err(|e| perr(e).at(ldr.resolve(&text)))?;
        docs.extend(parsed);
    }
    patch::apply_strategic_merge_patches(resources, &docs, &entries, schema).map_err(perr)
}

/// One `patches:` entry (`path` or `patch`, optional `target` and `options`).
pub(crate) fn run_patch_entry(
    entry: &Value,
    ldr: &Loader<'_>,
    resources: &mut ResMap,
    schema: &MergeSchema,
) -> Result<()> {
    let m = entry
        .as_map()
        .ok_or_else(|| bad_field("patches", "each entry must be a mapping"))?;
    let mut path = String::new();
    let mut inline = String::new();
    let mut target = None;
    let mut options = PatchOptions::default();
    for (key, v) in m {
        match key.as_str() {
            "path" => path = scalar_string(v),
            "patch" => inline = scalar_string(v),
            "target" => {
                target = Some(
                    Selector::from_value(v)
                        .map_err(|e| Error::new(ErrorKind::InvalidKustomization, e.to_string()))?,
                )
            }
            "options" => options = PatchOptions::from_value(v),
            other => return Err(bad_field("patches", format!("unknown field \"{other}\""))),
        }
    }
    if path.is_empty() == inline.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidKustomization,
            if path.is_empty() {
                "must specify one of patch and path in patches".to_string()
            } else {
                "patch and path can't be set at the same time".to_string()
            },
        ));
    }
    let (text, source) = if path.is_empty() {
        (inline.clone(), PatchSource::Inline(inline))
    } else {
        let text = ldr
            .load_text(&path)
            .map_err(|e| e.wrap(format!("failed to get the patch file from path({path})")))?;
        (text, PatchSource::Path(path.clone()))
    };
    let parsed = patch::parse_patch(&text, &source).map_err(perr)?;
    patch::apply_patch(
        resources,
        &parsed,
        target.as_ref(),
        options,
        &source,
        schema,
    )
    .map_err(perr)
}

/// One `patchesJson6902` entry (`target` plus `path` or `patch`).
pub(crate) fn run_json6902_entry(
    entry: &Value,
    ldr: &Loader<'_>,
    resources: &mut ResMap,
) -> Result<()> {
    let m = entry
        .as_map()
        .ok_or_else(|| bad_field("patchesJson6902", "each entry must be a mapping"))?;
    let mut path = String::new();
    let mut inline = String::new();
    let mut target = None;
    for (key, v) in m {
        match key.as_str() {
            "path" => path = scalar_string(v),
            "patch" => inline = scalar_string(v),
            "target" => {
                target = Some(
                    Selector::from_value(v)
                        .map_err(|e| Error::new(ErrorKind::InvalidKustomization, e.to_string()))?,
                )
            }
            "options" => {}
            other => {
                return Err(bad_field(
                    "patchesJson6902",
                    format!("unknown field \"{other}\""),
                ))
            }
        }
    }
    let Some(target) = target else {
        return Err(Error::new(
            ErrorKind::InvalidKustomization,
            "must specify a target for patch",
        ));
    };
    let ops = if !path.is_empty() {
        let text = ldr.load_text(&path)?;
        patch::parse_json6902(&text, &path).map_err(|e| perr(e).at(ldr.resolve(&path)))?
    } else {
        patch::parse_json6902(&inline, "").map_err(perr)?
    };
    patch::apply_json6902_patch(resources, &ops, &target).map_err(perr)
}

/// Runs the builtin transformers of one kustomization on its accumulated resources.
pub(crate) fn run(
    k: &Kustomization,
    ldr: &Loader<'_>,
    resources: &mut ResMap,
    tc: &TransformerConfig,
    schema: &MergeSchema,
    done: &mut dyn FnMut(&mut ResMap, &str),
) -> Result<()> {
    if !k.patches_strategic_merge.is_empty() {
        run_patches_strategic_merge(k, ldr, resources, schema)?;
        done(resources, "PatchStrategicMergeTransformer");
    }
    for entry in &k.patches {
        run_patch_entry(entry, ldr, resources, schema)?;
        done(resources, "PatchTransformer");
    }
    if !k.namespace.is_empty() {
        transformers::transform_namespace(
            resources,
            &NamespaceOptions {
                namespace: k.namespace.clone(),
                field_specs: tc.namespace.clone(),
                ..NamespaceOptions::default()
            },
        )
        .map_err(terr)?;
        done(resources, "NamespaceTransformer");
    }
    if !k.name_prefix.is_empty() {
        transformers::transform_prefix_suffix(
            resources,
            &PrefixSuffix {
                affix: Affix::Prefix,
                value: k.name_prefix.clone(),
                field_specs: tc.name_prefix.clone(),
            },
        )
        .map_err(terr)?;
        done(resources, "PrefixTransformer");
    }
    if !k.name_suffix.is_empty() {
        transformers::transform_prefix_suffix(
            resources,
            &PrefixSuffix {
                affix: Affix::Suffix,
                value: k.name_suffix.clone(),
                field_specs: tc.name_suffix.clone(),
            },
        )
        .map_err(terr)?;
        done(resources, "SuffixTransformer");
    }
    for entry in &k.labels {
        let e = parse_labels_entry(entry)?;
        let specs = e.field_specs(tc).map_err(terr)?;
        transformers::transform_labels(resources, &e.pairs, &specs).map_err(terr)?;
        done(resources, "LabelTransformer");
    }
    if !k.common_labels.is_empty() {
        transformers::transform_labels(
            resources,
            &string_pairs(&k.common_labels),
            &tc.common_labels,
        )
        .map_err(terr)?;
        done(resources, "LabelTransformer");
    }
    if !k.common_annotations.is_empty() {
        transformers::transform_annotations(
            resources,
            &string_pairs(&k.common_annotations),
            &tc.common_annotations,
        )
        .map_err(terr)?;
        done(resources, "AnnotationsTransformer");
    }
    for entry in &k.patches_json6902 {
        run_json6902_entry(entry, ldr, resources)?;
        done(resources, "PatchJson6902Transformer");
    }
    for r in &k.replicas {
        let r = parse_replica(r)?;
        transformers::transform_replicas(resources, &r, &tc.replicas).map_err(terr)?;
        done(resources, "ReplicaCountTransformer");
    }
    for i in &k.images {
        let img = parse_image(i)?;
        transformers::transform_images(resources, &img, &tc.images).map_err(terr)?;
        done(resources, "ImageTagTransformer");
    }
    if !k.replacements.is_empty() {
        let list = Value::Seq(k.replacements.clone());
        let reps = crate::replacements::load_replacements(&list, |p| ldr.load_text(p))
            .map_err(|e| Error::new(ErrorKind::Transform, e.to_string()))?;
        crate::replacements::apply_replacements(resources, &reps)
            .map_err(|e| Error::new(ErrorKind::Transform, e.to_string()))?;
        done(resources, "ReplacementTransformer");
    }
    Ok(())
}

/// Fixes references to renamed objects (top level, after hash suffixes).
pub(crate) fn fix_name_references(resources: &mut ResMap, tc: &TransformerConfig) -> Result<()> {
    transformers::fix_name_references(resources, tc).map_err(terr)
}

/// Strips kustomize's bookkeeping annotations before output.
pub(crate) fn remove_build_annotations(resources: &mut ResMap) {
    transformers::remove_build_annotations(resources);
}
