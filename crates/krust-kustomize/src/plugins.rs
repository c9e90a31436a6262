//! Builtin plugin configs listed in `generators:` and `transformers:` (`apiVersion: builtin`,
//! `kind: PrefixSuffixTransformer`, …), run with the same code as the kustomization fields.
//!
//! Exec, container, Go and helm plugins are not supported: they fail with an error naming the
//! plugin, never silently.

use krust_yaml::{Mapping, Value};

use crate::builtins::{
    parse_image, parse_labels_entry, parse_replica, perr, run_json6902_entry, run_patch_entry,
    scalar_string, terr,
};
use crate::error::{Error, ErrorKind, Result};
use crate::generators::{self, GeneratorKind as GeneratedKind};
use crate::hash;
use crate::kustomization::parse_generators;
use crate::loader::Loader;
use crate::patch::{self, MergeSchema};
use crate::resource::{ResMap, Resource};
use crate::transformers::{
    self, fieldspec::FieldSpec, prefix_suffix::Affix, NamespaceOptions, PrefixSuffix,
    RoleBindingSubjectMode, TransformerConfig,
};

fn config_map(cfg: &Resource) -> &Mapping {
    static EMPTY: std::sync::OnceLock<Mapping> = std::sync::OnceLock::new();
    cfg.value
        .as_map()
        .unwrap_or_else(|| EMPTY.get_or_init(Mapping::default))
}

/// `fieldSpecs` of a plugin config. Plugin configs are read leniently (kustomize ignores unknown
/// fields there), so keys other than group/version/kind/path/create are dropped.
fn field_specs(cfg: &Resource) -> Result<Vec<FieldSpec>> {
    match cfg.value.get("fieldSpecs") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Seq(items)) => {
            let known = ["group", "version", "kind", "path", "create"];
            let cleaned: Vec<Value> = items
                .iter()
                .map(|i| match i {
                    Value::Map(m) => Value::Map(
                        m.iter()
                            .filter(|(k, _)| known.contains(&k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ),
                    other => other.clone(),
                })
                .collect();
            FieldSpec::list_from_value(&Value::Seq(cleaned)).map_err(terr)
        }
        Some(v) => FieldSpec::list_from_value(v).map_err(terr),
    }
}

fn string_pairs(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), scalar_string(v)))
                .collect()
        })
        .unwrap_or_default()
}

fn not_builtin(cfg: &Resource) -> Error {
    let api = cfg.api_version();
    if api == "builtin" {
        Error::new(
            ErrorKind::Unsupported,
            format!("unable to load builtin {}", cfg.gvk()),
        )
    } else {
        Error::unsupported(format!(
            "the plugin {api}/{} (exec, container and Go plugins)",
            cfg.kind()
        ))
    }
}

/// Runs a generator config; the objects are absorbed like `configMapGenerator` output.
pub(crate) fn generate(
    cfg: &Resource,
    ldr: &Loader<'_>,
    kust_file: &str,
) -> Result<Vec<generators::Generated>> {
    if cfg.api_version() != "builtin" {
        return Err(not_builtin(cfg));
    }
    match cfg.kind() {
        kind @ ("ConfigMapGenerator" | "SecretGenerator") => {
            let secret = kind == "SecretGenerator";
            let keep = [
                "name",
                "namespace",
                "behavior",
                "literals",
                "files",
                "envs",
                "env",
                "options",
                "type",
            ];
            let mut args_map = Mapping::default();
            for (k, v) in config_map(cfg) {
                if keep.contains(&k.as_str()) && (secret || k != "type") {
                    args_map.insert(k.clone(), v.clone());
                }
            }
            let mut args = parse_generators(kind, &Value::Seq(vec![Value::Map(args_map)]), secret)?
                .into_iter()
                .next()
                .unwrap_or_default();
            if args.name.is_empty() {
                args.name = cfg.name().to_string();
            }
            if args.namespace.is_empty() {
                args.namespace = cfg.namespace().to_string();
            }
            let g = generators::generate(
                ldr,
                if secret {
                    GeneratedKind::Secret
                } else {
                    GeneratedKind::ConfigMap
                },
                &args,
                None,
                kust_file,
            )?;
            Ok(vec![g])
        }
        "IAMPolicyGenerator" => {
            let cloud = cfg.value.str_at(&["cloud"]).unwrap_or("");
            if cloud != "gke" {
                return Err(Error::new(
                    ErrorKind::Generator,
                    format!("cloud provider {cloud} not supported yet"),
                ));
            }
            let sa_name = cfg.value.str_at(&["serviceAccount", "name"]).unwrap_or("");
            let project = cfg
                .value
                .str_at(&["serviceAccount", "projectId"])
                .unwrap_or("");
            let k8s_name = cfg
                .value
                .str_at(&["kubernetesService", "name"])
                .unwrap_or("");
            let mut text = format!(
                "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  annotations:\n    \
                 iam.gke.io/gcp-service-account: {sa_name}@{project}.iam.gserviceaccount.com\n  \
                 name: {k8s_name}\n"
            );
            let ns = cfg
                .value
                .str_at(&["kubernetesService", "namespace"])
                .unwrap_or("");
            if !ns.is_empty() {
                text.push_str(&format!("  namespace: {ns}\n"));
            }
            let value = krust_yaml::parse_one(&text).map_err(|e| {
                Error::new(ErrorKind::Generator, format!("IAMPolicyGenerator: {e}"))
            })?;
            let resource = Resource::new(value, cfg.origin.clone());
            Ok(vec![generators::Generated {
                resource,
                behavior: generators::Behavior::Unspecified,
            }])
        }
        _ => Err(not_builtin(cfg)),
    }
}

/// Runs a transformer config on the accumulated resources.
pub(crate) fn transform(
    cfg: &Resource,
    ldr: &Loader<'_>,
    resources: &mut ResMap,
    tc: &TransformerConfig,
    schema: &MergeSchema,
) -> Result<()> {
    if cfg.api_version() != "builtin" {
        return Err(not_builtin(cfg));
    }
    let v = &cfg.value;
    match cfg.kind() {
        "AnnotationsTransformer" => transformers::transform_annotations(
            resources,
            &string_pairs(v.get("annotations")),
            &field_specs(cfg)?,
        )
        .map_err(terr),
        "LabelTransformer" => transformers::transform_labels(
            resources,
            &string_pairs(v.get("labels")),
            &field_specs(cfg)?,
        )
        .map_err(terr),
        "NamespaceTransformer" => {
            let mode = match v.get("setRoleBindingSubjects").and_then(Value::scalar_text) {
                Some(s) if !s.is_empty() => RoleBindingSubjectMode::parse(&s).map_err(terr)?,
                _ => RoleBindingSubjectMode::default(),
            };
            transformers::transform_namespace(
                resources,
                &NamespaceOptions {
                    namespace: cfg.namespace().to_string(),
                    field_specs: field_specs(cfg)?,
                    unset_only: matches!(v.get("unsetOnly"), Some(Value::Bool(true))),
                    set_role_binding_subjects: mode,
                },
            )
            .map_err(terr)
        }
        kind @ ("PrefixSuffixTransformer" | "PrefixTransformer" | "SuffixTransformer") => {
            let specs = field_specs(cfg)?;
            let prefix = v.str_at(&["prefix"]).unwrap_or("").to_string();
            let suffix = v.str_at(&["suffix"]).unwrap_or("").to_string();
            if kind != "SuffixTransformer" {
                transformers::transform_prefix_suffix(
                    resources,
                    &PrefixSuffix {
                        affix: Affix::Prefix,
                        value: prefix,
                        field_specs: specs.clone(),
                    },
                )
                .map_err(terr)?;
            }
            if kind != "PrefixTransformer" {
                transformers::transform_prefix_suffix(
                    resources,
                    &PrefixSuffix {
                        affix: Affix::Suffix,
                        value: suffix,
                        field_specs: specs,
                    },
                )
                .map_err(terr)?;
            }
            Ok(())
        }
        "ImageTagTransformer" => {
            let img = parse_image(v.get("imageTag").unwrap_or(&Value::Null))?;
            let specs = match v.get("fieldSpecs") {
                None | Some(Value::Null) => tc.images.clone(),
                Some(_) => field_specs(cfg)?,
            };
            transformers::transform_images(resources, &img, &specs).map_err(terr)
        }
        "ReplicaCountTransformer" => {
            let r = parse_replica(v.get("replica").unwrap_or(&Value::Null))?;
            transformers::transform_replicas(resources, &r, &field_specs(cfg)?).map_err(terr)
        }
        "PatchTransformer" => {
            let mut entry = Mapping::default();
            for k in ["path", "patch", "target", "options"] {
                if let Some(x) = v.get(k) {
                    entry.insert(k.to_string(), x.clone());
                }
            }
            run_patch_entry(&Value::Map(entry), ldr, resources, schema)
        }
        "PatchJson6902Transformer" => {
            let mut entry = Mapping::default();
            for (from, to) in [("path", "path"), ("jsonOp", "patch"), ("target", "target")] {
                if let Some(x) = v.get(from) {
                    entry.insert(to.to_string(), x.clone());
                }
            }
            run_json6902_entry(&Value::Map(entry), ldr, resources)
        }
        "PatchStrategicMergeTransformer" => {
            let mut docs = Vec::new();
            let mut entries = Vec::new();
            if let Some(Value::Seq(paths)) = v.get("paths") {
                for p in paths {
                    let p = scalar_string(p);
                    entries.push(p.clone());
                    let text = ldr.load_text(&p)?;
                    docs.extend(
                        patch::parse_strategic_merge_patches(&text)
                            .map_err(|e| perr(e).at(ldr.resolve(&p)))?,
                    );
                }
            }
            if let Some(text) = v.get("patches").and_then(Value::as_str) {
                docs.extend(patch::parse_strategic_merge_patches(text).map_err(perr)?);
            }
            patch::apply_strategic_merge_patches(resources, &docs, &entries, schema).map_err(perr)
        }
        "ReplacementTransformer" => {
            let list = v
                .get("replacements")
                .cloned()
                .unwrap_or(Value::Seq(Vec::new()));
            let reps = crate::replacements::load_replacements(&list, |p| ldr.load_text(p))
                .map_err(|e| Error::new(ErrorKind::Transform, e.to_string()))?;
            crate::replacements::apply_replacements(resources, &reps)
                .map_err(|e| Error::new(ErrorKind::Transform, e.to_string()))
        }
        "LabelsTransformer" => {
            let e = parse_labels_entry(v)?;
            let specs = e.field_specs(tc).map_err(terr)?;
            transformers::transform_labels(resources, &e.pairs, &specs).map_err(terr)
        }
        "HashTransformer" => {
            for r in resources.resources_mut() {
                if r.needs_hash_suffix {
                    let h = hash::name_hash(&r.value);
                    r.remember_id();
                    let name = format!("{}-{h}", r.name());
                    r.set_name(&name);
                    r.needs_hash_suffix = false;
                }
            }
            resources.reindex();
            Ok(())
        }
        _ => Err(not_builtin(cfg)),
    }
}
