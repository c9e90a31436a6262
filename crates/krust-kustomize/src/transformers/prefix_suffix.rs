//! Name prefix and suffix transformers (`namePrefix:` / `nameSuffix:`, `PrefixTransformer`,
//! `SuffixTransformer`).

use krust_yaml::Value;

use crate::resource::{Gvk, ResMap};

use super::fieldspec::{apply_field_spec, gvk_selected, CreateKind, FieldSpec};
use super::{append_csv_annotation, set_scalar_string, TransformError};
use super::{PREFIXES_ANNOTATION, SUFFIXES_ANNOTATION};

/// Whether a name affix goes before or after the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affix {
    /// `namePrefix`.
    Prefix,
    /// `nameSuffix`.
    Suffix,
}

/// A prefix or suffix and the fields it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixSuffix {
    /// Prefix or suffix.
    pub affix: Affix,
    /// The text to add.
    pub value: String,
    /// Fields to edit (normally `TransformerConfig::name_prefix` / `name_suffix`).
    pub field_specs: Vec<FieldSpec>,
}

/// Kinds that never get a prefix or suffix (selected by their original id).
fn skipped(gvk: &Gvk) -> bool {
    gvk_selected(gvk, "", "", "CustomResourceDefinition")
        || gvk_selected(gvk, "apiregistration.k8s.io", "", "APIService")
        || gvk_selected(gvk, "", "", "Namespace")
}

/// Adds a prefix (or suffix) to the fields the specs select.
///
/// Contract: call once per `namePrefix` / `nameSuffix` (prefix before suffix, after the namespace
/// transformer, as kustomize orders its builtins). Resources whose *original* id is a
/// CustomResourceDefinition, an `apiregistration.k8s.io` APIService or a Namespace are skipped;
/// specs are matched against the original id too. For a `metadata/name` spec the affix is
/// recorded in the `internal.config.kubernetes.io/prefixes|suffixes` build annotation and, when
/// non-empty, the current id is pushed onto `previous_ids` (via `remember_id`) before the rename,
/// so [`super::fix_name_references`] can find the resource by its old name. The index is rebuilt.
pub fn transform_prefix_suffix(
    resources: &mut ResMap,
    config: &PrefixSuffix,
) -> Result<(), TransformError> {
    let annotation = match config.affix {
        Affix::Prefix => PREFIXES_ANNOTATION,
        Affix::Suffix => SUFFIXES_ANNOTATION,
    };
    for r in resources.resources_mut() {
        let org = r.original_id();
        if skipped(&org.gvk) {
            continue;
        }
        for fs in &config.field_specs {
            if !fs.selects(&org.gvk) {
                continue;
            }
            if fs.path == "metadata/name" {
                append_csv_annotation(r, annotation, &config.value);
                if !config.value.is_empty() {
                    r.remember_id();
                }
            }
            let affix = config.affix;
            let text = config.value.as_str();
            apply_field_spec(
                &mut r.value,
                fs,
                CreateKind::Scalar,
                &mut |node: &mut Value| {
                    let current = node.scalar_text().unwrap_or_default();
                    let new = match affix {
                        Affix::Prefix => format!("{text}{current}"),
                        Affix::Suffix => format!("{current}{text}"),
                    };
                    set_scalar_string(node, &new)
                },
            )?;
        }
    }
    resources.reindex();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transformers::conformance_tests::{res_map, yaml_of};
    use crate::transformers::{csv_annotation, TransformerConfig};

    fn run(m: &mut ResMap, affix: Affix, value: &str) {
        let c = TransformerConfig::defaults();
        let specs = match affix {
            Affix::Prefix => c.name_prefix,
            Affix::Suffix => c.name_suffix,
        };
        transform_prefix_suffix(
            m,
            &PrefixSuffix {
                affix,
                value: value.into(),
                field_specs: specs,
            },
        )
        .unwrap();
    }

    // kubectl.1.33 kustomize with namePrefix: p- / nameSuffix: -s renames the ConfigMap to
    // p-cm-s and leaves the Namespace and the CRD alone.
    #[test]
    fn renames_and_records_previous_ids() {
        let mut m = res_map("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: crd.example.com\n");
        run(&mut m, Affix::Prefix, "p-");
        run(&mut m, Affix::Suffix, "-s");
        let r = &m.resources()[0];
        assert_eq!(r.name(), "p-cm-s");
        let names: Vec<_> = r.previous_ids.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, vec!["cm", "p-cm"]);
        assert_eq!(csv_annotation(r, PREFIXES_ANNOTATION), vec!["p-"]);
        assert_eq!(csv_annotation(r, SUFFIXES_ANNOTATION), vec!["-s"]);
        assert_eq!(m.resources()[1].name(), "ns");
        assert_eq!(m.resources()[2].name(), "crd.example.com");
        let mut m2 = m.clone();
        crate::transformers::remove_build_annotations(&mut m2);
        assert!(!yaml_of(&m2).contains("annotations"));
    }
}
