//! The replica count transformer (`replicas:`, `ReplicaCountTransformer`).

use krust_yaml::Value;

use crate::resource::ResMap;

use super::fieldspec::{apply_field_spec, CreateKind, FieldSpec};
use super::TransformError;

/// One `replicas:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Replica {
    /// Name of the resource (current or any previous name).
    pub name: String,
    /// The replica count to set.
    pub count: i64,
}

/// Sets the replica count of the resources named `replica.name`.
///
/// Contract: call once per `replicas:` entry with `TransformerConfig::replicas`. A resource is
/// selected when its current id or any of its `previous_ids` has that name and a spec's kind
/// selector accepts it; the field is created when the spec says so. Fails when no spec selects
/// any resource (kustomize's "does not match a config" error). Does not change ids.
pub fn transform_replicas(
    resources: &mut ResMap,
    replica: &Replica,
    field_specs: &[FieldSpec],
) -> Result<(), TransformError> {
    let mut found = false;
    for fs in field_specs {
        for r in resources.resources_mut() {
            if super::is_nil_or_empty(&r.value) {
                continue;
            }
            let current = r.id();
            let selected = r
                .previous_ids
                .iter()
                .chain(std::iter::once(&current))
                .any(|id| id.name == replica.name && fs.selects(&id.gvk));
            if !selected {
                continue;
            }
            found = true;
            let count = replica.count;
            apply_field_spec(
                &mut r.value,
                fs,
                CreateKind::Scalar,
                &mut |node: &mut Value| {
                    super::set_scalar_string(node, "")?;
                    *node = Value::Int(count);
                    Ok(())
                },
            )?;
        }
    }
    if !found {
        let gvks: Vec<String> = field_specs
            .iter()
            .map(|fs| {
                let or = |s: &str, d: &str| {
                    if s.is_empty() {
                        d.to_string()
                    } else {
                        s.to_string()
                    }
                };
                format!(
                    "{}.{}.{}",
                    or(&fs.kind, "[noKind]"),
                    or(&fs.version, "[noVer]"),
                    or(&fs.group, "[noGrp]")
                )
            })
            .collect();
        return Err(TransformError::ReplicaTargetNotFound {
            name: replica.name.clone(),
            gvks: gvks.join(" "),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transformers::conformance_tests::{res_map, yaml_of};
    use crate::transformers::TransformerConfig;

    // kubectl.1.33 kustomize, replicas: [{name: d, count: 3}]: spec.replicas is created; an
    // unknown name gives exactly this error text.
    #[test]
    fn sets_and_creates_replicas() {
        let mut m = res_map(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template: {}\n",
        );
        let c = TransformerConfig::defaults();
        transform_replicas(
            &mut m,
            &Replica {
                name: "d".into(),
                count: 3,
            },
            &c.replicas,
        )
        .unwrap();
        assert!(yaml_of(&m).contains("spec:\n  replicas: 3\n"));
        let err = transform_replicas(
            &mut m,
            &Replica {
                name: "nope".into(),
                count: 1,
            },
            &c.replicas,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "resource with name nope does not match a config with the following GVK [Deployment.[noVer].[noGrp] StatefulSet.[noVer].[noGrp] ReplicaSet.[noVer].[noGrp] ReplicationController.[noVer].[noGrp]]"
        );
    }
}
