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
use crate::resource::ResMap;
use crate::transformers::{
    self, fieldspec::FieldSpec, prefix_suffix::Affix, Image, LabelsEntry, NamespaceOptions,
    PrefixSuffix, Replica, TransformError, TransformerConfig,
};

fn terr(e: TransformError) -> Error {
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

fn scalar_string(v: &Value) -> String {
    v.scalar_text().unwrap_or_default()
}

fn parse_labels_entry(v: &Value) -> Result<LabelsEntry> {
    let m = v
        .as_map()
        .ok_or_else(|| bad_field("labels", "each entry must be a mapping"))?;
    let mut e = LabelsEntry::default();
    for (k, val) in m {
        match k.as_str() {
            "pairs" => {
                if let Some(pm) = val.as_map() {
                    e.pairs = pm.iter().map(|(k, v)| (k.clone(), scalar_string(v))).collect();
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

fn parse_image(v: &Value) -> Result<Image> {
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

fn parse_replica(v: &Value) -> Result<Replica> {
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

/// Runs the builtin transformers of one kustomization on its accumulated resources.
pub(crate) fn run(
    k: &Kustomization,
    ldr: &Loader<'_>,
    resources: &mut ResMap,
    tc: &TransformerConfig,
) -> Result<()> {
    if !k.patches_strategic_merge.is_empty() {
        return Err(Error::not_wired("patchesStrategicMerge"));
    }
    if !k.patches.is_empty() {
        return Err(Error::not_wired("patches"));
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
    }
    if !k.common_labels.is_empty() {
        transformers::transform_labels(resources, &string_pairs(&k.common_labels), &tc.common_labels)
            .map_err(terr)?;
    }
    for entry in &k.labels {
        let e = parse_labels_entry(entry)?;
        let specs = e.field_specs(tc).map_err(terr)?;
        transformers::transform_labels(resources, &e.pairs, &specs).map_err(terr)?;
    }
    if !k.common_annotations.is_empty() {
        transformers::transform_annotations(
            resources,
            &string_pairs(&k.common_annotations),
            &tc.common_annotations,
        )
        .map_err(terr)?;
    }
    if !k.patches_json6902.is_empty() {
        return Err(Error::not_wired("patchesJson6902"));
    }
    for r in &k.replicas {
        let r = parse_replica(r)?;
        transformers::transform_replicas(resources, &r, &tc.replicas).map_err(terr)?;
    }
    for i in &k.images {
        let img = parse_image(i)?;
        transformers::transform_images(resources, &img, &tc.images).map_err(terr)?;
    }
    if !k.replacements.is_empty() {
        let list = Value::Seq(k.replacements.clone());
        let reps = crate::replacements::load_replacements(&list, |p| ldr.load_text(p))
            .map_err(|e| Error::new(ErrorKind::Transform, e.to_string()))?;
        crate::replacements::apply_replacements(resources, &reps)
            .map_err(|e| Error::new(ErrorKind::Transform, e.to_string()))?;
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
