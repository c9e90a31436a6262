//! Test helpers and a tiny kustomization builder that runs only this module's transformers, to
//! check them against the conformance corpus (`../shared/conformance/kustomize`) before the real
//! pipeline exists. Cases that use anything else (generators, patches, …) are skipped.

use std::path::{Path, PathBuf};

use krust_yaml::Value;

use crate::resource::{Origin, ResMap, Resource};

use super::config::TransformerConfig;
use super::fieldspec::FieldSpec;
use super::images::{transform_images, Image};
use super::labels::{transform_annotations, transform_labels, LabelsEntry};
use super::nameref::fix_name_references;
use super::namespace::{transform_namespace, NamespaceOptions};
use super::prefix_suffix::{transform_prefix_suffix, Affix, PrefixSuffix};
use super::remove_build_annotations;
use super::replicas::{transform_replicas, Replica};

/// Parses a multi-document YAML string into a resource list (test helper).
pub(crate) fn res_map(text: &str) -> ResMap {
    let mut m = ResMap::new();
    for doc in krust_yaml::parse_documents(text).expect("test yaml parses") {
        if doc.value.is_null() {
            continue;
        }
        m.push(Resource::new(doc.value, Origin::default()));
    }
    m
}

/// Prints the resources as `kustomize build` would (test helper).
pub(crate) fn yaml_of(m: &ResMap) -> String {
    krust_yaml::documents_to_string(m.resources().iter().map(|r| &r.value))
}

fn string_pairs(v: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Map(m)) => Ok(m
            .iter()
            .map(|(k, v)| (k.clone(), v.scalar_text().unwrap_or_default()))
            .collect()),
        Some(_) => Err("pairs must be a map".into()),
    }
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::scalar_text).unwrap_or_default()
}

fn find_kustomization(dir: &Path) -> Option<PathBuf> {
    ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Builds `dir` with this module's transformers only; `Err` names what is unsupported or failed.
fn accumulate(dir: &Path) -> Result<(ResMap, TransformerConfig), String> {
    let kfile = find_kustomization(dir).ok_or("no kustomization")?;
    let ktext = std::fs::read_to_string(&kfile).map_err(|e| e.to_string())?;
    let k = krust_yaml::parse_one(&ktext).map_err(|e| format!("unsupported: {e}"))?;
    let Value::Map(km) = &k else {
        return Err("kustomization is not a map".into());
    };
    const SUPPORTED: [&str; 17] = [
        "transformers",
        "crds",
        "sortOptions",
        "apiVersion",
        "kind",
        "resources",
        "bases",
        "namespace",
        "namePrefix",
        "nameSuffix",
        "commonLabels",
        "labels",
        "commonAnnotations",
        "images",
        "replicas",
        "configurations",
        "metadata",
    ];
    for key in km.keys() {
        if !SUPPORTED.contains(&key.as_str()) {
            return Err(format!("unsupported: {key}"));
        }
    }
    if text(km.get("kind")) == "Component" {
        return Err("unsupported: Component".into());
    }
    let mut m = ResMap::new();
    let mut children = Vec::new();
    for key in ["resources", "bases"] {
        let Some(Value::Seq(items)) = km.get(key) else {
            continue;
        };
        for item in items {
            let rel = text(Some(item));
            let p = dir.join(&rel);
            if !p.exists() {
                return Err(format!("unsupported: missing {rel} (path above the root?)"));
            }
            if p.is_dir() {
                let (sub, sub_config) = accumulate(&p)?;
                for r in sub.into_resources() {
                    m.push(r);
                }
                children.push(sub_config);
            } else {
                let t = std::fs::read_to_string(&p).map_err(|e| format!("{rel}: {e}"))?;
                for doc in krust_yaml::parse_documents(&t).map_err(|e| e.to_string())? {
                    if doc.value.is_null() {
                        continue;
                    }
                    let kind = doc.value.get("kind").and_then(Value::as_str).unwrap_or("");
                    if kind.ends_with("List") {
                        return Err("unsupported: List".into());
                    }
                    m.push(Resource::new(doc.value, Origin::default()));
                }
            }
        }
    }
    let load_docs = |key: &str| -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        if let Some(Value::Seq(files)) = km.get(key) {
            for f in files {
                let t =
                    std::fs::read_to_string(dir.join(text(Some(f)))).map_err(|e| e.to_string())?;
                out.push(krust_yaml::parse_one(&t).map_err(|e| e.to_string())?);
            }
        }
        Ok(out)
    };
    let config = TransformerConfig::for_kustomization(
        children,
        &load_docs("configurations")?,
        &load_docs("crds")?,
    )
    .map_err(|e| e.to_string())?;
    let err = |e: super::TransformError| e.to_string();

    let ns = text(km.get("namespace"));
    transform_namespace(
        &mut m,
        &NamespaceOptions {
            namespace: ns,
            field_specs: config.namespace.clone(),
            ..NamespaceOptions::default()
        },
    )
    .map_err(err)?;
    for (key, affix, specs) in [
        ("namePrefix", Affix::Prefix, &config.name_prefix),
        ("nameSuffix", Affix::Suffix, &config.name_suffix),
    ] {
        let value = text(km.get(key));
        if !value.is_empty() {
            transform_prefix_suffix(
                &mut m,
                &PrefixSuffix {
                    affix,
                    value,
                    field_specs: specs.clone(),
                },
            )
            .map_err(err)?;
        }
    }
    if let Some(Value::Seq(entries)) = km.get("labels") {
        for e in entries {
            let flag = |k: &str| matches!(e.get(k), Some(Value::Bool(true)));
            let entry = LabelsEntry {
                pairs: string_pairs(e.get("pairs"))?,
                include_selectors: flag("includeSelectors"),
                include_templates: flag("includeTemplates"),
                include_volume_claim_templates: flag("includeVolumeClaimTemplates"),
                fields: match e.get("fields") {
                    Some(v) => FieldSpec::list_from_value(v).map_err(err)?,
                    None => Vec::new(),
                },
            };
            let specs = entry.field_specs(&config).map_err(err)?;
            transform_labels(&mut m, &entry.pairs, &specs).map_err(err)?;
        }
    }
    transform_labels(
        &mut m,
        &string_pairs(km.get("commonLabels"))?,
        &config.common_labels,
    )
    .map_err(err)?;
    transform_annotations(
        &mut m,
        &string_pairs(km.get("commonAnnotations"))?,
        &config.common_annotations,
    )
    .map_err(err)?;
    if let Some(Value::Seq(items)) = km.get("replicas") {
        for it in items {
            let count = match it.get("count") {
                Some(Value::Int(i)) => *i,
                _ => return Err("replica count".into()),
            };
            let rep = Replica {
                name: text(it.get("name")),
                count,
            };
            transform_replicas(&mut m, &rep, &config.replicas).map_err(err)?;
        }
    }
    if let Some(Value::Seq(items)) = km.get("images") {
        for it in items {
            let img = Image {
                name: text(it.get("name")),
                new_name: text(it.get("newName")),
                new_tag: text(it.get("newTag")),
                digest: text(it.get("digest")),
                tag_suffix: text(it.get("tagSuffix")),
            };
            transform_images(&mut m, &img, &config.images).map_err(err)?;
        }
    }
    if let Some(Value::Seq(items)) = km.get("transformers") {
        for it in items {
            let entry = text(Some(it));
            let body = if entry.contains('\n') {
                entry
            } else {
                let p = dir.join(&entry);
                if !p.is_file() {
                    return Err(format!("unsupported: transformer {entry}"));
                }
                std::fs::read_to_string(p).map_err(|e| e.to_string())?
            };
            for doc in krust_yaml::parse_documents(&body).map_err(|e| e.to_string())? {
                if doc.value.is_null() {
                    continue;
                }
                match super::BuiltinTransformer::from_config(&doc.value).map_err(err)? {
                    Some(t) => t.apply(&mut m).map_err(err)?,
                    None => return Err("unsupported: transformer config".into()),
                }
            }
        }
    }
    Ok((m, config))
}

/// Builds a directory the way `kustomize build` would, for the subset of features supported here.
pub(crate) fn mini_build(dir: &Path) -> Result<String, String> {
    let (mut m, config) = accumulate(dir)?;
    fix_name_references(&mut m, &config).map_err(|e| e.to_string())?;
    m.retain(|r| {
        r.value
            .str_at(&[
                "metadata",
                "annotations",
                "config.kubernetes.io/local-config",
            ])
            .is_none()
    });
    remove_build_annotations(&mut m);
    Ok(yaml_of(&m))
}

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from("/work/shared/conformance/kustomize");
    p.is_dir().then_some(p)
}

fn build_dir_of(case: &Path) -> Option<PathBuf> {
    let meta = std::fs::read_to_string(case.join("case.json")).ok()?;
    // A tiny extraction of "build_dir": "..." (JSON strings here are plain paths).
    let key = "\"build_dir\": \"";
    let start = meta.find(key)? + key.len();
    let end = meta[start..].find('"')? + start;
    Some(case.join("input").join(&meta[start..end]))
}

/// Names of passing cases, and failing cases with the reason.
type CorpusResult = (Vec<String>, Vec<(String, String)>);

/// Runs every output case whose kustomizations use only what [`mini_build`] supports.
/// Returns (passed, failed names with a reason).
fn run_corpus() -> Option<CorpusResult> {
    let root = corpus()?;
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    for case in cases {
        let expected = case.join("expected.yaml");
        if !expected.is_file() {
            continue;
        }
        let Some(dir) = build_dir_of(&case) else {
            continue;
        };
        let meta = std::fs::read_to_string(case.join("case.json")).unwrap_or_default();
        if meta.contains("\"addManagedbyLabel\": true")
            || !meta.contains("\"reorder\": \"none\"")
            || meta.contains("sortOptions")
        {
            continue;
        }
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let want = std::fs::read_to_string(&expected).unwrap_or_default();
        match mini_build(&dir) {
            Err(e) if e.starts_with("unsupported") || e == "no kustomization" => {
                if std::env::var_os("KRUST_LIST").is_some() {
                    eprintln!("SKIP {name}: {e}");
                }
            }
            Err(e) => failed.push((name, e)),
            Ok(got) if got == want => passed.push(name),
            Ok(got) => failed.push((name, format!("output differs:\n{got}\n--- want:\n{want}"))),
        }
    }
    Some((passed, failed))
}

/// Corpus cases that exercise only this module's transformers (plus plain resources, bases and
/// `configurations:`) and pass byte for byte; a regression fails the test.
const MUST_PASS: &[&str] = &[
    "TestNameUpdateInRoleRef2",
    "TestLegacyPrefixSuffixTransformer",
    "TestInlineTransformer",
    "TestCustomNamePrefixer",
    "TestCrdBase",
    "TestAddNamePrefixWithNamespace",
    "TestBackReferenceAdmissionPolicy",
    "TestBase",
    "TestBaseInResourceList",
    "TestBaseReuseNameConflict",
    "TestBasicIO_1",
    "TestBasicIO_2",
    "TestCrdWithContainers",
    "TestCustomOpenApiFieldDefaultVersion",
    "TestIssue2896Base",
    "TestIssue3489Simplified",
    "TestIssue4682_NameReferencesToSelfInAnnotations",
    "TestIssue4884_UseLocalConfigAsNameRefSource",
    "TestIssue596AllowDirectoriesThatAreSubstringsOfEachOther",
    "TestKeepEmptyArray",
    "TestKustomizationLabels",
    "TestKustomizationLabelsDoesNotCreateInvalidTemplatePaths",
    "TestKustomizationLabelsInCronJobTemplate",
    "TestKustomizationLabelsInDaemonSetTemplate",
    "TestKustomizationLabelsInDeploymentTemplate",
    "TestKustomizationLabelsInDeploymentWithoutClaimTemplateAndIncludeVolumeClaimTemplatesTrue",
    "TestKustomizationLabelsInJobTemplate",
    "TestKustomizationLabelsInStatefulSetTemplate",
    "TestKustomizationLabelsInStatefulSetTemplateWithClaimTemplateAndIncludeVolumeClaimTemplatesFalse",
    "TestKustomizationLabelsInStatefulSetTemplateWithClaimTemplateAndIncludeVolumeClaimTemplatesTrue",
    "TestKustomizationLabelsInStatefulSetTemplateWithClaimTemplateIncludeTemplateFalseAndIncludeVolumeClaimTemplatesTrue",
    "TestKustomizationLabelsInStatefulSetTemplateWithIncludeSelectorsTrue",
    "TestKustomizationLabelsInTemplateWhenLabelsIsNil",
    "TestKustomizationMetadata",
    "TestLabelTransformerConfigWithCustomResources__include_selector_via_transformerConfig",
    "TestLabelTransformerConfigWithCustomResources__include_selectors_and_labels_via_transformerConfig",
    "TestLabelTransformerConfigWithCustomResources__include_template_via_transformerConfig",
    "TestLabelTransformerConfig__includeSelectors_false_includeTemplates_false_include_template_via_transformerConfig",
    "TestLabelTransformerConfig__includeSelectors_false_includeTemplates_false_no_transformerConfig",
    "TestLabelTransformerConfig__includeSelectors_false_includeTemplates_true_no_transformerConfig",
    "TestLabelTransformerConfig__includeSelectors_true_includeTemplates_false_include_template_via_transformerConfig",
    "TestLongLineBreaks",
    "TestMediumBase",
    "TestMidLevelA",
    "TestMidLevelB",
    "TestMultibasesNoConflict",
    "TestMultibyteCharInConfigMap",
    "TestNameAndNsTransformation",
    "TestNameNotOveriddenForNonCoreApiVersionOnANamespaceKind",
    "TestNamespaceTransformerInOverlayAppliedToBase",
    "TestNamespaceTransformerWithThreeLevelHierarchy",
    "TestNamespacedSecrets",
    "TestNullValues1",
    "TestNullValues2",
    "TestNumericCommonLabels",
    "TestOrderPreserved",
    "TestPodDisruptionBudgetBasics",
    "TestResourceHasAnchor",
    "TestRoleBindingAcrossNamespace",
    "TestRoleBindingAcrossNamespaceWoSubjects",
    "TestRoleBindingWhenSubjectsAcrossNamespace",
    "TestSimpleBase",
    "TestSmallBase",
    "TestSuffix5042",
    "TestTransfomersImageCustomConfig",
    "TestTransfomersImageDefaultConfig",
    "TestTransfomersImageInvalidNameRegexp",
    "TestTransfomersImageKnativeConfig",
    "TestTransformersNoCreateArrays",
];

#[test]
fn conformance_subset() {
    let Some((passed, failed)) = run_corpus() else {
        eprintln!("conformance corpus not present; skipped");
        return;
    };
    eprintln!(
        "transformer-only corpus cases: {} passed, {} failed",
        passed.len(),
        failed.len()
    );
    if std::env::var_os("KRUST_LIST").is_some() {
        eprintln!("PASSED {passed:?}");
    }
    for (n, why) in &failed {
        eprintln!(
            "FAIL {n}: {}",
            why.lines().take(60).collect::<Vec<_>>().join("\n")
        );
    }
    for must in MUST_PASS {
        assert!(passed.iter().any(|p| p == must), "{must} regressed");
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        {
            out.push(p);
        }
    }
}

/// Every document of every corpus file (kustomizations, patches and configs included, whatever
/// their shape) goes through every transformer: errors are fine, panics are not.
#[test]
fn no_panics_on_any_corpus_document() {
    let Some(root) = corpus() else {
        eprintln!("conformance corpus not present; skipped");
        return;
    };
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    let c = TransformerConfig::defaults();
    let mut m = ResMap::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(docs) = krust_yaml::parse_documents(&text) else {
            continue;
        };
        for d in docs {
            let mut one = ResMap::new();
            one.push(Resource::new(d.value.clone(), Origin::default()));
            let _ = transform_namespace(
                &mut one,
                &NamespaceOptions {
                    namespace: "ns".into(),
                    field_specs: c.namespace.clone(),
                    ..NamespaceOptions::default()
                },
            );
            let _ = transform_labels(&mut one, &[("a".into(), "b".into())], &c.common_labels);
            let _ = transform_images(
                &mut one,
                &Image {
                    name: "nginx".into(),
                    new_tag: "1".into(),
                    ..Image::default()
                },
                &c.images,
            );
            m.push(Resource::new(d.value, Origin::default()));
        }
    }
    let _ = transform_prefix_suffix(
        &mut m,
        &PrefixSuffix {
            affix: Affix::Prefix,
            value: "p-".into(),
            field_specs: c.name_prefix.clone(),
        },
    );
    let _ = transform_annotations(&mut m, &[("x".into(), "y".into())], &c.common_annotations);
    let _ = transform_replicas(
        &mut m,
        &Replica {
            name: "x".into(),
            count: 2,
        },
        &c.replicas,
    );
    let _ = fix_name_references(&mut m, &c);
    remove_build_annotations(&mut m);
    assert!(!m.is_empty());
}
