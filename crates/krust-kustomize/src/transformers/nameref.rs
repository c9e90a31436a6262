//! The name-reference fix-up: after renames, every field that names a renamed object is updated
//! to the object's new name (and, for `{name, namespace}` mappings, its namespace).
//!
//! Candidates are looked up in an index by previous name built once, so the cost is linear in
//! the number of references (plus the candidates sharing a previous name), not in
//! references × resources as in kustomize.

use std::collections::{HashMap, HashSet};

use krust_yaml::Value;

use crate::resource::{Gvk, ResId, ResMap};

use super::config::TransformerConfig;
use super::fieldspec::{apply_path, gvk_selected, CreateKind, FieldSpec};
use super::{
    csv_annotation, id_string, is_cluster_scoped, TransformError, PREFIXES_ANNOTATION,
    SUFFIXES_ANNOTATION,
};

/// What the fix-up needs to know about each resource, captured before any field changes.
struct Info {
    name: String,
    raw_ns: String,
    kind: String,
    cluster_scoped: bool,
    cur_eff_ns: String,
    org_eff_ns: String,
    prev_ids: Vec<ResId>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    id_string: String,
}

fn effective_ns(id: &ResId) -> String {
    if is_cluster_scoped(&id.gvk.api_version(), &id.gvk.kind) {
        String::new()
    } else if id.namespace.is_empty() {
        "default".to_string()
    } else {
        id.namespace.clone()
    }
}

/// The index built once per fix-up.
struct Index {
    infos: Vec<Info>,
    /// Previous name → positions (ascending) of resources that ever had that name.
    by_prev_name: HashMap<String, Vec<usize>>,
    /// Current effective namespace → original effective namespaces found there.
    org_ns_by_cur_ns: HashMap<String, HashSet<String>>,
    /// Raw `metadata.namespace` → original effective namespaces found there.
    org_ns_by_raw_ns: HashMap<String, HashSet<String>>,
    /// Every original effective namespace.
    all_org_ns: HashSet<String>,
}

impl Index {
    fn build(resources: &ResMap) -> Index {
        let mut infos = Vec::with_capacity(resources.len());
        let mut by_prev_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut org_ns_by_cur_ns: HashMap<String, HashSet<String>> = HashMap::new();
        let mut org_ns_by_raw_ns: HashMap<String, HashSet<String>> = HashMap::new();
        let mut all_org_ns = HashSet::new();
        for (i, r) in resources.resources().iter().enumerate() {
            let cur = r.id();
            let org = r.original_id();
            let cluster_scoped = is_cluster_scoped(&cur.gvk.api_version(), &cur.gvk.kind);
            let info = Info {
                name: cur.name.clone(),
                raw_ns: cur.namespace.clone(),
                kind: cur.gvk.kind.clone(),
                cluster_scoped,
                cur_eff_ns: effective_ns(&cur),
                org_eff_ns: effective_ns(&org),
                prev_ids: r.previous_ids.clone(),
                prefixes: csv_annotation(r, PREFIXES_ANNOTATION),
                suffixes: csv_annotation(r, SUFFIXES_ANNOTATION),
                id_string: id_string(r),
            };
            let mut seen: HashSet<&str> = HashSet::new();
            for id in &r.previous_ids {
                if seen.insert(id.name.as_str()) {
                    by_prev_name.entry(id.name.clone()).or_default().push(i);
                }
            }
            if !is_cluster_scoped(&org.gvk.api_version(), &org.gvk.kind) {
                all_org_ns.insert(info.org_eff_ns.clone());
                if !cluster_scoped {
                    org_ns_by_cur_ns
                        .entry(info.cur_eff_ns.clone())
                        .or_default()
                        .insert(info.org_eff_ns.clone());
                }
                org_ns_by_raw_ns
                    .entry(info.raw_ns.clone())
                    .or_default()
                    .insert(info.org_eff_ns.clone());
            }
            infos.push(info);
        }
        Index {
            infos,
            by_prev_name,
            org_ns_by_cur_ns,
            org_ns_by_raw_ns,
            all_org_ns,
        }
    }
}

/// The referrer's side of a lookup.
struct Referrer<'a> {
    info: &'a Info,
    /// Namespaces of ServiceAccount subjects (RoleBindings only).
    binding_namespaces: HashSet<String>,
    /// `roleRef` group and kind, when present.
    role_ref: Option<(String, String)>,
}

impl Referrer<'_> {
    /// kustomize's `SubsetThatCouldBeReferencedByResource`.
    fn could_reference(&self, c: &Info) -> bool {
        self.info.cluster_scoped
            || c.cluster_scoped
            || c.cur_eff_ns == self.info.cur_eff_ns
            || self.binding_namespaces.contains(&c.raw_ns)
    }

    /// Whether the referrable subset has a resource originally in namespace `ns`.
    fn subset_has_original_ns(&self, index: &Index, ns: &str) -> bool {
        if self.info.cluster_scoped {
            return index.all_org_ns.contains(ns);
        }
        let in_cur = index
            .org_ns_by_cur_ns
            .get(&self.info.cur_eff_ns)
            .is_some_and(|s| s.contains(ns));
        in_cur
            || self.binding_namespaces.iter().any(|b| {
                index
                    .org_ns_by_raw_ns
                    .get(b)
                    .is_some_and(|s| s.contains(ns))
            })
    }
}

/// One lookup: target kind, field path and the referrer.
struct Lookup<'a, 'b> {
    index: &'a Index,
    referrer: &'b Referrer<'a>,
    target: &'a Gvk,
    path: &'a str,
}

fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() > b.len() { (b, a) } else { (a, b) };
    let diff = long.len() - short.len();
    if short.is_empty() {
        return diff == 0;
    }
    short.iter().zip(&long[diff..]).all(|(x, y)| x == y)
}

fn affixes_equal(c: &Info, r: &Info, allow_empty: bool) -> bool {
    if allow_empty {
        let pre =
            c.prefixes.is_empty() || r.prefixes.is_empty() || same_ending(&c.prefixes, &r.prefixes);
        let suf =
            c.suffixes.is_empty() || r.suffixes.is_empty() || same_ending(&c.suffixes, &r.suffixes);
        pre && suf
    } else {
        same_ending(&c.prefixes, &r.prefixes) && same_ending(&c.suffixes, &r.suffixes)
    }
}

impl Lookup<'_, '_> {
    /// kustomize's `selectReferral`: narrows the candidates that once had `old_name` and returns
    /// the one the reference means, `None` when there is none.
    fn select(
        &self,
        old_name: &str,
        extra: &dyn Fn(&Info) -> bool,
        identical: fn(&Info, &Info) -> bool,
    ) -> Result<Option<usize>, TransformError> {
        let Some(positions) = self.index.by_prev_name.get(old_name) else {
            return Ok(None);
        };
        let r = self.referrer;
        let infos = &self.index.infos;
        let role_ref_applies = self.path.ends_with("roleRef/name");
        let mut cands: Vec<usize> = positions
            .iter()
            .copied()
            .filter(|&i| {
                let c = &infos[i];
                r.could_reference(c)
                    && extra(c)
                    && c.prev_ids.iter().any(|id| {
                        gvk_selected(
                            &id.gvk,
                            &self.target.group,
                            &self.target.version,
                            &self.target.kind,
                        )
                    })
                    && match (&r.role_ref, role_ref_applies) {
                        (Some((g, k)), true) => {
                            c.prev_ids.iter().any(|id| gvk_selected(&id.gvk, g, "", k))
                        }
                        _ => true,
                    }
                    && (r.info.cluster_scoped
                        || c.cluster_scoped
                        || c.kind == "ServiceAccount"
                        || c.cur_eff_ns == r.info.cur_eff_ns)
            })
            .collect();
        if cands.len() == 1 {
            return Ok(Some(cands[0]));
        }
        cands.retain(|&i| affixes_equal(&infos[i], r.info, true));
        if cands.len() > 1 {
            cands.retain(|&i| affixes_equal(&infos[i], r.info, false));
        }
        match cands.len() {
            0 => Ok(None),
            1 => Ok(Some(cands[0])),
            _ => {
                let first = &infos[cands[0]];
                if cands[1..].iter().all(|&i| identical(first, &infos[i])) {
                    return Ok(Some(cands[0]));
                }
                let ids: Vec<&str> = cands.iter().map(|&i| infos[i].id_string.as_str()).collect();
                Err(TransformError::MultipleReferrals {
                    path: self.path.to_string(),
                    referrer: r.info.id_string.clone(),
                    candidates: ids.join(", "),
                })
            }
        }
    }

    fn set_scalar(&self, node: &mut Value) -> Result<(), TransformError> {
        let old = node.scalar_text().unwrap_or_default();
        let found = self.select(&old, &|_| true, |a, b| a.name == b.name)?;
        if let Some(i) = found {
            let new = &self.index.infos[i].name;
            if *new != old {
                *node = Value::String(new.clone());
            }
        }
        Ok(())
    }

    fn set_mapping(&self, node: &mut Value) -> Result<(), TransformError> {
        let Value::Map(map) = node else {
            return Ok(());
        };
        let Some(name_node) = map.get("name") else {
            return Err(TransformError::NoNameInReference {
                path: self.path.to_string(),
                referrer: self.referrer.info.id_string.clone(),
            });
        };
        let old = name_node.scalar_text().unwrap_or_default();
        let found = match map.get("namespace") {
            None => self.select(&old, &|_| true, same_name_and_ns)?,
            Some(ns_node) => {
                let ns = ns_node.scalar_text().unwrap_or_default();
                if self.referrer.subset_has_original_ns(self.index, &ns) {
                    self.select(
                        &old,
                        &|c: &Info| c.org_eff_ns == ns && !c.cluster_scoped,
                        same_name_and_ns,
                    )?
                } else {
                    self.select(
                        &old,
                        &|c: &Info| c.cur_eff_ns == ns && !c.cluster_scoped,
                        same_name_and_ns,
                    )?
                }
            }
        };
        let Some(i) = found else {
            return Ok(());
        };
        let referral = &self.index.infos[i];
        if referral.name == old && referral.raw_ns.is_empty() {
            return Ok(());
        }
        map.insert("name".to_string(), Value::String(referral.name.clone()));
        if !referral.raw_ns.is_empty() {
            map.insert(
                "namespace".to_string(),
                Value::String(referral.raw_ns.clone()),
            );
        }
        Ok(())
    }

    fn set(&self, node: &mut Value) -> Result<(), TransformError> {
        match node {
            Value::Null => Ok(()),
            Value::Map(_) => self.set_mapping(node),
            Value::Seq(items) => {
                for item in items.iter_mut() {
                    match item {
                        Value::Null => {}
                        Value::Map(_) => self.set_mapping(item)?,
                        Value::Seq(_) => {
                            return Err(TransformError::Field {
                                path: self.path.to_string(),
                                object: self.referrer.info.id_string.clone(),
                                reason: "a sequence item is expected to be either a string or a map of string".into(),
                            })
                        }
                        _ => self.set_scalar(item)?,
                    }
                }
                Ok(())
            }
            _ => self.set_scalar(node),
        }
    }
}

fn same_name_and_ns(a: &Info, b: &Info) -> bool {
    a.name == b.name && a.raw_ns == b.raw_ns
}

/// kustomize's `getNamespacesForRoleBinding`: namespaces of the ServiceAccount subjects of a
/// RoleBinding; a subject whose `namespace` is present but not a string is an error.
fn binding_namespaces(
    value: &Value,
    kind: &str,
    id: &str,
) -> Result<HashSet<String>, TransformError> {
    let mut out = HashSet::new();
    if kind != "RoleBinding" {
        return Ok(out);
    }
    let Some(Value::Seq(subjects)) = value.get("subjects") else {
        return Ok(out);
    };
    for s in subjects {
        let Some(ns) = s.get("namespace") else {
            continue;
        };
        if s.get("kind").and_then(Value::as_str) != Some("ServiceAccount") {
            continue;
        }
        match ns {
            Value::String(n) => {
                out.insert(n.clone());
            }
            _ => return Err(TransformError::BlankSubjectNamespace(id.to_string())),
        }
    }
    Ok(out)
}

fn role_ref(value: &Value) -> Option<(String, String)> {
    let rr = value.get("roleRef")?;
    let group = rr.get("apiGroup")?.scalar_text()?;
    let kind = rr.get("kind")?.scalar_text()?;
    Some((group, kind))
}

/// Updates every name reference to renamed resources.
///
/// Contract: call once, on the top-level kustomization's resources, after all transformers and
/// after the generated ConfigMaps/Secrets got their hash suffixes, with the merged configuration
/// (its `name_reference` table). It assumes every rename was recorded: each renaming step pushed
/// the pre-rename id with `Resource::remember_id` (prefix/suffix and namespace transformers here,
/// the hash-suffix step and name-changing patches in the pipeline). Only resources with
/// `previous_ids` can be referral targets, as in kustomize.
///
/// For each referrer field the config selects (by the referrer's original kind), a candidate
/// must once have had the referenced name, once have been of the target kind, be visible from
/// the referrer (same namespace, cluster-scoped, a ServiceAccount of a RoleBinding subject's
/// namespace) and, for `roleRef/name`, match the roleRef kind. Ties are broken by the name
/// prefixes/suffixes both went through; candidates that are still ambiguous and differ in name
/// (or name and namespace, for `{name, namespace}` mappings) are an error. Resource ids do not
/// change, so the index stays valid.
pub fn fix_name_references(
    resources: &mut ResMap,
    config: &TransformerConfig,
) -> Result<(), TransformError> {
    let index = Index::build(resources);

    // Referrer specs indexed by kind, in configuration order.
    let mut by_kind: HashMap<&str, Vec<(usize, &Gvk, &FieldSpec)>> = HashMap::new();
    let mut any_kind: Vec<(usize, &Gvk, &FieldSpec)> = Vec::new();
    let targets: Vec<Gvk> = config.name_reference.iter().map(|n| n.gvk()).collect();
    let mut order = 0;
    for (nbr, target) in config.name_reference.iter().zip(&targets) {
        for fs in &nbr.referrers {
            let entry = (order, target, fs);
            order += 1;
            if fs.kind.is_empty() {
                any_kind.push(entry);
            } else {
                by_kind.entry(fs.kind.as_str()).or_default().push(entry);
            }
        }
    }

    for (i, r) in resources.resources_mut().iter_mut().enumerate() {
        let org = r.original_id();
        let mut specs: Vec<(usize, &Gvk, &FieldSpec)> = by_kind
            .get(org.gvk.kind.as_str())
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|(_, _, fs)| fs.selects(&org.gvk))
                    .collect()
            })
            .unwrap_or_default();
        specs.extend(
            any_kind
                .iter()
                .copied()
                .filter(|(_, _, fs)| fs.selects(&org.gvk)),
        );
        if specs.is_empty() {
            continue;
        }
        specs.sort_by_key(|(o, _, _)| *o);
        let info = &index.infos[i];
        let referrer = Referrer {
            info,
            binding_namespaces: binding_namespaces(&r.value, &info.kind, &info.id_string)?,
            role_ref: role_ref(&r.value),
        };
        for (_, target, fs) in specs {
            let lookup = Lookup {
                index: &index,
                referrer: &referrer,
                target,
                path: &fs.path,
            };
            let path_only = FieldSpec {
                path: fs.path.clone(),
                ..FieldSpec::default()
            };
            apply_path(
                &mut r.value,
                &path_only,
                CreateKind::Never,
                &mut |node: &mut Value| lookup.set(node),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transformers::conformance_tests::{res_map, yaml_of};
    use crate::transformers::{transform_prefix_suffix, Affix, PrefixSuffix};

    fn prefixed(src: &str, prefix: &str) -> ResMap {
        let mut m = res_map(src);
        transform_prefix_suffix(
            &mut m,
            &PrefixSuffix {
                affix: Affix::Prefix,
                value: prefix.into(),
                field_specs: TransformerConfig::defaults().name_prefix,
            },
        )
        .unwrap();
        m
    }

    // kubectl.1.33 kustomize with namePrefix p-: the volume and envFrom follow the ConfigMap,
    // an unknown name is left alone.
    #[test]
    fn follows_renames() {
        let mut m = prefixed(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    envFrom:\n    - configMapRef:\n        name: cm\n    - configMapRef:\n        name: other\n  volumes:\n  - name: v\n    configMap:\n      name: cm\n",
            "p-",
        );
        fix_name_references(&mut m, &TransformerConfig::defaults()).unwrap();
        let out = yaml_of(&m);
        assert_eq!(out.matches("name: p-cm").count(), 3, "{out}");
        assert!(out.contains("name: other"));
    }

    // Conformance case TestNamedspacedServiceAccountsWithOverlap: the same ServiceAccount name in
    // two namespaces, referred to by a ClusterRoleBinding subject without a namespace.
    #[test]
    fn ambiguous_references_are_errors() {
        let mut m = prefixed(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  namespace: a\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  namespace: b\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n- kind: ServiceAccount\n  name: sa\n",
            "x-",
        );
        let err = fix_name_references(&mut m, &TransformerConfig::defaults()).unwrap_err();
        assert!(
            err.to_string().contains(
                "found multiple possible referrals: ServiceAccount.v1.[noGrp]/x-sa.a, ServiceAccount.v1.[noGrp]/x-sa.b"
            ),
            "{err}"
        );
    }

    // Conformance case TestBlankNamespace4240.
    #[test]
    fn blank_subject_namespace_is_an_error() {
        let mut m = res_map(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: test\nsubjects:\n- kind: ServiceAccount\n  name: test\n  namespace:\nroleRef:\n  kind: Role\n  name: test\n  apiGroup: rbac.authorization.k8s.io\n",
        );
        let err = fix_name_references(&mut m, &TransformerConfig::defaults()).unwrap_err();
        assert!(err
            .to_string()
            .contains("Invalid Input: namespace is blank for resource"));
    }

    // A `{name, namespace}` reference gets the referral's namespace (webhook services).
    #[test]
    fn mapping_references_get_the_namespace() {
        let mut m = res_map(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: w\nwebhooks:\n- name: w.example.com\n  clientConfig:\n    service:\n      name: svc\n      namespace: default\n",
        );
        crate::transformers::transform_namespace(
            &mut m,
            &crate::transformers::NamespaceOptions {
                namespace: "prod".into(),
                field_specs: TransformerConfig::defaults().namespace,
                ..Default::default()
            },
        )
        .unwrap();
        fix_name_references(&mut m, &TransformerConfig::defaults()).unwrap();
        assert!(yaml_of(&m).contains("      name: svc\n      namespace: prod\n"));
    }
}
