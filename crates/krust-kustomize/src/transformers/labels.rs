//! Labels and annotations (`commonLabels:`, `labels:`, `commonAnnotations:`,
//! `LabelTransformer`, `AnnotationsTransformer`).

use krust_yaml::Value;

use crate::resource::ResMap;

use super::config::TransformerConfig;
use super::fieldspec::{apply_field_spec, merge_all, merge_one, CreateKind, FieldSpec};
use super::TransformError;

/// One entry of a kustomization's `labels:` list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelsEntry {
    /// The labels (`pairs:`).
    pub pairs: Vec<(String, String)>,
    /// Also set selectors (the whole `commonLabels` spec list).
    pub include_selectors: bool,
    /// Also set pod template labels (ignored when `include_selectors`).
    pub include_templates: bool,
    /// Also set StatefulSet volumeClaimTemplates labels (ignored when `include_selectors`).
    pub include_volume_claim_templates: bool,
    /// Extra field specs (`fields:`).
    pub fields: Vec<FieldSpec>,
}

impl LabelsEntry {
    /// The field specs kustomize uses for this entry: `fields`, then the configuration's `labels`
    /// specs, then either all `commonLabels` specs (`includeSelectors`) or `metadata/labels` plus
    /// the template / volumeClaimTemplate specs asked for.
    pub fn field_specs(
        &self,
        config: &TransformerConfig,
    ) -> Result<Vec<FieldSpec>, TransformError> {
        let wrap =
            |e: TransformError| TransformError::Config(format!("failed to merge labels: {e}"));
        let mut out = Vec::new();
        merge_all(&mut out, self.fields.iter().cloned()).map_err(wrap)?;
        merge_all(&mut out, config.labels.iter().cloned()).map_err(wrap)?;
        if self.include_selectors {
            merge_all(&mut out, config.common_labels.iter().cloned()).map_err(wrap)?;
        } else {
            if self.include_templates {
                merge_all(&mut out, config.template_labels.iter().cloned()).map_err(wrap)?;
            }
            if self.include_volume_claim_templates {
                merge_all(
                    &mut out,
                    config.volume_claim_template_labels.iter().cloned(),
                )
                .map_err(wrap)?;
            }
            merge_one(
                &mut out,
                FieldSpec {
                    path: "metadata/labels".into(),
                    create: true,
                    ..FieldSpec::default()
                },
            )
            .map_err(wrap)?;
        }
        Ok(out)
    }
}

/// Sets the labels in every mapping the field specs select (creating mappings for specs with
/// `create: true`).
///
/// Contract: call for `commonLabels` with `TransformerConfig::common_labels`, and once per
/// `labels:` entry with [`LabelsEntry::field_specs`]; a no-op when `labels` is empty. Keys are
/// applied in sorted order; values are strings. Does not change ids.
pub fn transform_labels(
    resources: &mut ResMap,
    labels: &[(String, String)],
    field_specs: &[FieldSpec],
) -> Result<(), TransformError> {
    set_map_entries(resources, labels, field_specs)
}

/// Sets the annotations in every mapping the field specs select (normally
/// `TransformerConfig::common_annotations`). Same contract as [`transform_labels`].
pub fn transform_annotations(
    resources: &mut ResMap,
    annotations: &[(String, String)],
    field_specs: &[FieldSpec],
) -> Result<(), TransformError> {
    set_map_entries(resources, annotations, field_specs)
}

fn set_map_entries(
    resources: &mut ResMap,
    entries: &[(String, String)],
    field_specs: &[FieldSpec],
) -> Result<(), TransformError> {
    if entries.is_empty() {
        return Ok(());
    }
    // kustomize works from a map: the last value of a repeated key wins, keys go in sorted order.
    let mut sorted: Vec<(&str, &str)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match sorted.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v,
            None => sorted.push((k, v)),
        }
    }
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for r in resources.resources_mut() {
        for fs in field_specs {
            apply_field_spec(
                &mut r.value,
                fs,
                CreateKind::Map,
                &mut |node: &mut Value| {
                    // A null the walker did not replace (spec without `create`) is left alone,
                    // as kustomize leaves a Job's `matchLabels: null` (checked with kubectl.1.33).
                    if node.is_null() {
                        return Ok(());
                    }
                    let Value::Map(m) = node else {
                        return Err(TransformError::WrongTarget(format!(
                            "wrong node kind: expected MappingNode but got {} at '{}'",
                            node.kind_name(),
                            fs.path
                        )));
                    };
                    for (k, v) in &sorted {
                        m.insert((*k).to_string(), Value::String((*v).to_string()));
                    }
                    Ok(())
                },
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transformers::conformance_tests::{res_map, yaml_of};

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n";

    fn pairs() -> Vec<(String, String)> {
        vec![("app".into(), "x".into())]
    }

    // kubectl.1.33 kustomize with commonLabels {app: x}: Deployment gets metadata, selector and
    // template labels; the Service gets metadata labels and spec.selector.
    #[test]
    fn common_labels_touch_selectors_and_templates() {
        let mut m = res_map(DEPLOY);
        let c = TransformerConfig::defaults();
        transform_labels(&mut m, &pairs(), &c.common_labels).unwrap();
        let out = yaml_of(&m);
        let expected_deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    app: x\n  name: d\nspec:\n  selector:\n    matchLabels:\n      app: x\n  template:\n    metadata:\n      labels:\n        app: x\n    spec:\n      containers:\n      - image: nginx\n        name: c\n";
        assert!(out.starts_with(expected_deploy), "{out}");
        assert!(
            out.contains("spec:\n  ports:\n  - port: 80\n  selector:\n    app: x\n"),
            "{out}"
        );
    }

    // `labels: [{pairs: {app: x}, includeTemplates: true}]`: no selectors.
    #[test]
    fn labels_entry_without_selectors() {
        let mut m = res_map(DEPLOY);
        let c = TransformerConfig::defaults();
        let entry = LabelsEntry {
            pairs: pairs(),
            include_templates: true,
            ..LabelsEntry::default()
        };
        transform_labels(&mut m, &entry.pairs, &entry.field_specs(&c).unwrap()).unwrap();
        let out = yaml_of(&m);
        assert!(!out.contains("selector"), "{out}");
        assert!(out.contains("template:\n    metadata:\n      labels:\n        app: x\n"));
        let plain = LabelsEntry {
            pairs: pairs(),
            ..LabelsEntry::default()
        };
        assert_eq!(plain.field_specs(&c).unwrap().len(), 1);
    }

    #[test]
    fn annotations_on_templates() {
        let mut m = res_map(DEPLOY);
        let c = TransformerConfig::defaults();
        transform_annotations(&mut m, &[("a".into(), "1".into())], &c.common_annotations).unwrap();
        let out = yaml_of(&m);
        assert!(
            out.contains("metadata:\n  annotations:\n    a: \"1\"\n"),
            "{out}"
        );
        assert!(out.contains("template:\n    metadata:\n      annotations:\n        a: \"1\"\n"));
    }

    #[test]
    fn non_map_target_is_an_error() {
        let mut m = res_map("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels: 3\n");
        let c = TransformerConfig::defaults();
        assert!(transform_labels(&mut m, &pairs(), &c.common_labels).is_err());
    }
}
