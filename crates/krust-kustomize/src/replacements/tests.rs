//! Replacement tests: trees from the conformance corpus (resources parsed directly, earlier
//! pipeline steps simulated by hand) and behaviours observed with `kubectl kustomize` v5.6.

use std::path::{Path, PathBuf};

use krust_yaml::Value;

use super::*;
use crate::resource::{Origin, ResMap, Resource};

fn corpus(case: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/kustomize")
        .join(case);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("corpus case {case} not found; skipping");
        None
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn docs(text: &str) -> Vec<Value> {
    krust_yaml::parse_documents(text)
        .expect("valid yaml")
        .into_iter()
        .map(|d| d.value)
        .filter(|v| !v.is_null())
        .collect()
}

fn resmap_of(values: Vec<Value>) -> ResMap {
    let mut m = ResMap::new();
    for v in values {
        m.push(Resource::new(v, Origin::default()));
    }
    m
}

/// Renames every resource as a prefix/suffix transformer would (remembering the old id).
fn rename(m: &mut ResMap, prefix: &str, suffix: &str) {
    for r in m.resources_mut() {
        r.remember_id();
        let name = format!("{prefix}{}{suffix}", r.name());
        r.set_name(&name);
    }
    m.reindex();
}

fn values(m: &ResMap) -> Vec<Value> {
    m.resources().iter().map(|r| r.value.clone()).collect()
}

/// Loads the resources and replacements of a kustomization without bases, applies them, and
/// compares with the expected output.
fn run_flat_case(case: &str, dir: &str) {
    let Some(root) = corpus(case) else { return };
    let kdir = root.join("input").join(dir);
    let k = krust_yaml::parse_one(&read(&kdir.join("kustomization.yaml"))).expect("kustomization");
    let mut resources = Vec::new();
    for r in k
        .get("resources")
        .and_then(Value::as_seq)
        .expect("resources")
    {
        resources.extend(docs(&read(&kdir.join(r.as_str().expect("path")))));
    }
    let mut m = resmap_of(resources);
    let reps = load_replacements(k.get("replacements").expect("replacements"), |p| {
        std::fs::read_to_string(kdir.join(p))
    })
    .expect("replacements parse");
    apply_replacements(&mut m, &reps).expect("replacements apply");
    assert_eq!(
        values(&m),
        docs(&read(&root.join("expected.yaml"))),
        "{case}"
    );
}

#[test]
fn corpus_replacements_field() {
    run_flat_case("TestReplacementsField", ".");
}

#[test]
fn corpus_replacements_field_with_path() {
    run_flat_case("TestReplacementsFieldWithPath", ".");
}

#[test]
fn corpus_replacements_field_with_path_multiple() {
    run_flat_case("TestReplacementsFieldWithPathMultiple", ".");
}

#[test]
fn corpus_append_to_annotation_using_regex() {
    run_flat_case(
        "TestReplacementTransformerAppendToAnnotationUsingRegex",
        "base",
    );
}

#[test]
fn corpus_service_namespace_url_using_regex() {
    run_flat_case(
        "TestReplacementTransformerServiceNamespaceUrlUsingRegex",
        "base",
    );
}

#[test]
fn corpus_original_name() {
    let Some(root) = corpus("TestReplacementTransformerWithOriginalName") else {
        return;
    };
    let input = root.join("input");
    let mut m = resmap_of(docs(&read(&input.join("base/deployments.yaml"))));
    rename(&mut m, "prefix1-", "");
    rename(&mut m, "prefix2-", "");
    let reps = parse_replacement_file(&read(&input.join("replacement.yaml"))).expect("parse");
    apply_replacements(&mut m, &reps).expect("apply");
    assert_eq!(values(&m), docs(&read(&root.join("expected.yaml"))));
}

#[test]
fn corpus_diamond_shape() {
    let Some(root) = corpus("TestReplacementTransformerWithDiamondShape") else {
        return;
    };
    let input = root.join("input");
    let mut all = Vec::new();
    for branch in ["a", "b"] {
        let mut m = resmap_of(docs(&read(&input.join("base/deployments.yaml"))));
        rename(&mut m, &format!("{branch}-"), "");
        let reps = parse_replacement_file(&read(&input.join(branch).join("replacement.yaml")))
            .expect("parse");
        apply_replacements(&mut m, &reps).expect("apply");
        all.extend(values(&m));
    }
    assert_eq!(all, docs(&read(&root.join("expected.yaml"))));
}

/// The overlay's generated ConfigMap (hash suffix added later) plus the renamed base.
fn suffix_case(case: &str, prefix: &str) {
    let Some(root) = corpus(case) else { return };
    let input = root.join("input");
    let mut base = docs(&read(&input.join("base/app.yaml")));
    base.push(
        krust_yaml::parse_one("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  name: something-else\n")
            .expect("cm"),
    );
    let mut m = resmap_of(base);
    rename(&mut m, prefix, "-dev");
    // The corpus file repeats its apiVersion/kind lines; only the replacements matter here.
    let text = read(&input.join("overlay/kustomization.yaml"));
    let start = text.find("replacements:").expect("replacements");
    let k = krust_yaml::parse_one(&text[start..]).expect("k");
    let reps = load_replacements(k.get("replacements").expect("replacements"), |_| {
        Err::<String, &str>("no files")
    })
    .expect("parse");
    apply_replacements(&mut m, &reps).expect("apply");
    let expected = docs(&read(&root.join("expected.yaml")));
    assert_eq!(m.resources()[0].value, expected[0]);
    assert_eq!(m.resources()[1].value.get("data"), expected[1].get("data"));
}

#[test]
fn corpus_suffix_and_reject() {
    suffix_case(
        "TestReplacementTransformerWithSuffixTransformerAndReject",
        "",
    );
}

#[test]
fn corpus_suffix_and_reject_using_regex() {
    suffix_case(
        "TestReplacementTransformerWithSuffixTransformerAndRejectUsingRegex",
        "pre-",
    );
}

#[test]
fn corpus_config_map_generator() {
    let mut m = resmap_of(docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blue\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: red\n",
    ));
    let reps = parse_replacement_file(
        "source: {kind: ConfigMap, name: blue, fieldPath: metadata.name}\n\
         targets: [{select: {name: red}, fieldPaths: [data.blue-name], options: {create: true}}]\n",
    )
    .expect("parse");
    apply_replacements(&mut m, &reps).expect("apply");
    assert_eq!(
        m.resources()[1].value.str_at(&["data", "blue-name"]),
        Some("blue")
    );
}

const TYPED: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: src
data:
  s: \"8080\"
  w: abc
  b: \"true\"
  m:
    x: 1
---
apiVersion: v1
kind: Thing
metadata:
  name: tgt
spec:
  i: 5
  s: hello
  n: null
  b: false
  f: 1.5
  lst: [a, b]
  mp: {k: v}
";

fn apply_text(resources: &str, reps: &str) -> Result<ResMap, ReplacementError> {
    let mut m = resmap_of(docs(resources));
    apply_replacements(&mut m, &parse_replacement_file(reps)?)?;
    Ok(m)
}

/// Observed with `kubectl kustomize` (v5.6): scalar targets keep their type, created fields
/// take the type the text reads as, lists and maps are replaced by the source node.
#[test]
fn value_types_follow_kustomize() {
    let m = apply_text(
        TYPED,
        "- source: {kind: ConfigMap, fieldPath: data.s}
  targets:
  - select: {kind: Thing}
    fieldPaths: [spec.s, spec.f, spec.new1, spec.lst, spec.mp]
    options: {create: true}
- source: {kind: ConfigMap, fieldPath: data.w}
  targets:
  - select: {kind: Thing}
    fieldPaths: [spec.new2]
    options: {create: true}
- source: {kind: ConfigMap, fieldPath: data.b}
  targets:
  - select: {kind: Thing}
    fieldPaths: [spec.new3]
    options: {create: true}
- source: {kind: ConfigMap, fieldPath: data.m}
  targets:
  - select: {kind: Thing}
    fieldPaths: [spec.new4, spec.deep.x.y]
    options: {create: true}
",
    )
    .expect("applies");
    let spec = m.resources()[1].value.get("spec").expect("spec").clone();
    let expected = krust_yaml::parse_one(
        "i: 5\ns: \"8080\"\nn: null\nb: false\nf: 8080.0\nlst: \"8080\"\nmp: \"8080\"\nnew1: 8080\nnew2: abc\n\
         new3: true\nnew4: {x: 1}\ndeep: {x: {y: {x: 1}}}\n",
    )
    .expect("yaml");
    for (k, v) in expected.as_map().expect("map") {
        assert_eq!(spec.get(k), Some(v), "spec.{k}");
    }
}

#[test]
fn mismatched_scalar_types_fail_like_kustomize() {
    for (path, field) in [
        ("spec.i", "data.w"),
        ("spec.n", "data.s"),
        ("spec.b", "data.s"),
    ] {
        let reps = format!(
            "source: {{kind: ConfigMap, fieldPath: {field}}}\ntargets: [{{select: {{kind: Thing}}, fieldPaths: [{path}]}}]\n"
        );
        let err = apply_text(TYPED, &reps).expect_err("type mismatch");
        assert!(
            matches!(err, ReplacementError::TypeMismatch { .. }),
            "{path}: {err}"
        );
    }
    let err = apply_text(
        TYPED,
        "source: {kind: ConfigMap, fieldPath: data.w}\ntargets: [{select: {kind: Thing}, fieldPaths: [spec.i]}]\n",
    )
    .expect_err("mismatch");
    assert!(
        err.to_string()
            .starts_with("yaml: cannot decode !!str `abc` as a !!int"),
        "{err}"
    );
}

/// Error texts observed with `kubectl kustomize` (v5.6).
#[test]
fn error_texts() {
    let cases = [
        (
            "source: {kind: ConfigMap, name: nope, fieldPath: data.s}\ntargets: [{select: {kind: Thing}, fieldPaths: [spec.s]}]",
            "nothing selected by ConfigMap.[noVer].[noGrp]/nope.[noNs]:data.s",
        ),
        (
            "source: {version: v1, fieldPath: data.s}\ntargets: [{select: {kind: Thing}, fieldPaths: [spec.s]}]",
            "multiple matches for selector [noKind].v1.[noGrp]/[noName].[noNs]:data.s",
        ),
        (
            "source: {kind: ConfigMap, fieldPath: data.zz}\ntargets: [{select: {kind: Thing}, fieldPaths: [spec.s]}]",
            "fieldPath `data.zz` is missing for replacement source ConfigMap.[noVer].[noGrp]/[noName].[noNs]",
        ),
        (
            "source: {kind: ConfigMap, fieldPath: data.s}\ntargets: [{select: {kind: Thing}, fieldPaths: [spec.lst.x]}]",
            "unable to find field \"spec.lst.x\" in replacement target: wrong node kind: expected MappingNode but got SequenceNode",
        ),
        (
            "source: {kind: ConfigMap, fieldPath: data.s}\ntargets: [{select: {kind: Thing}, fieldPaths: [spec.nope.x]}]",
            "unable to find field \"spec.nope.x\" in replacement target",
        ),
        (
            "source: {kind: ConfigMap, fieldPath: data.s}\ntargets: [{fieldPaths: [spec.s]}]",
            "target must specify resources to select",
        ),
        ("source: {kind: ConfigMap, fieldPath: data.s}", "replacements must specify a source and at least one target"),
        (
            "source: {kind: ConfigMap, fieldPath: data.s}\nsourceValue: x\ntargets: []",
            "value and resource selectors are mutually exclusive",
        ),
        (
            "source: {kind: ConfigMap, fieldPath: data.s, options: {delimiter: '8', index: 5}}\ntargets: []",
            "options.index 5 is out of bounds for value 8080",
        ),
    ];
    for (reps, want) in cases {
        let err = apply_text(TYPED, reps).expect_err(reps);
        assert!(err.to_string().starts_with(want), "got {err}\nwant {want}");
    }
}

#[test]
fn source_value_delimiters_and_reject_by_label() {
    let m = apply_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {skip: 'yes'}\ndata:\n  v: x.y.z\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  v: p.q.r\n  n: '1'\n",
        "- sourceValue: \"42\"
  targets:
  - select: {kind: ConfigMap}
    reject: [{labelSelector: skip=yes}]
    fieldPaths: [data.v, data.new]
    options: {delimiter: '.', index: 1, create: true}
- source: {name: b, fieldPath: data.v, options: {delimiter: '.', index: 2}}
  targets:
  - select: {name: a}
    fieldPaths: [data.v]
    options: {delimiter: '.', index: -1}
",
    )
    .expect("applies");
    assert_eq!(
        m.resources()[1].value.str_at(&["data", "v"]),
        Some("p.42.r")
    );
    assert_eq!(
        m.resources()[1].value.get_path(&["data", "new"]),
        Some(&Value::Float(0.42))
    );
    assert_eq!(
        m.resources()[0].value.str_at(&["data", "v"]),
        Some("r.x.y.z")
    );
}

#[test]
fn renaming_through_replacements_reindexes() {
    let m = apply_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  n: renamed\n",
        "- source: {name: a, fieldPath: data.n}
  targets: [{select: {name: a}}]
- source: {name: renamed}
  targets: [{select: {name: renamed}, fieldPaths: [data.copy], options: {create: true}}]
",
    )
    .expect("applies");
    assert_eq!(m.resources()[0].name(), "renamed");
    assert_eq!(
        m.resources()[0].value.str_at(&["data", "copy"]),
        Some("renamed")
    );
    assert_eq!(m.positions_of(&m.resources()[0].id()), &[0]);
}

#[test]
fn parse_errors() {
    let v = krust_yaml::parse_one("- path: x.yaml\n  source: {kind: A}\n").expect("yaml");
    assert_eq!(
        parse_replacement_fields(&v),
        Err(ReplacementError::PathAndInline)
    );
    assert!(parse_replacement_file(
        "source: {kind: A}\ntargets: [{select: {kind: B}, options: {index: x}}]"
    )
    .is_err());
    assert!(matches!(
        parse_replacement_file("just a string"),
        Err(ReplacementError::UnsupportedFileContent(_))
    ));
    let r = parse_replacement_file(
        "source: {kind: A}\ntargets: [{select: {kind: B}, options: {create: yes}}]",
    )
    .expect("YAML 1.1 boolean");
    assert_eq!(
        r[0].targets
            .as_ref()
            .and_then(|t| t[0].options.as_ref())
            .map(|o| o.create),
        Some(true)
    );
    // Inline entries of a kustomization are decoded strictly; files and plugin configs are not.
    let typo = krust_yaml::parse_one(
        "- source: {kind: A, fieldPath: x}\n  targets:\n  - select: {kind: B}\n    fieldPath: y\n",
    )
    .expect("yaml");
    let err = load_replacements(&typo, |_| Err::<String, &str>("no files")).expect_err("strict");
    assert_eq!(
        err.to_string(),
        "invalid Kustomization: json: unknown field \"fieldPath\""
    );
    assert!(load_replacements_lenient(&typo, |_| Err::<String, &str>("no files")).is_ok());
    assert!(parse_replacement_file(
        "source: {kind: A}\ntargets: [{select: {kind: B}, fieldPath: y}]"
    )
    .is_ok());
    // Field names match case-insensitively, as kustomize's JSON decoding does.
    let r = parse_replacement_file("Source: {Kind: A, FIELDPATH: x}\ntargets: []").expect("parse");
    assert_eq!(
        r[0].source.as_ref().map(|s| s.field_path.as_str()),
        Some("x")
    );
}

/// Observed with `kubectl kustomize` (v5.6): `[k=v]` values are unanchored regular
/// expressions, missing list elements are appended, and fields "created" below an explicit
/// null are silently lost.
#[test]
fn list_matching_and_nulls_follow_kyaml() {
    let m = apply_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: src\ndata:\n  s: new\n---\n\
         apiVersion: v1\nkind: Thing\nmetadata:\n  name: tgt\nspec:\n  e:\n  n: null\n  c:\n  - name: app\n    image: a\n\
         \x20 - name: myapp\n    image: b\n  - name: other\n    image: c\n  args: [\"--x=1\", \"--y=2\"]\n",
        "source: {kind: ConfigMap, fieldPath: data.s}
targets:
- select: {kind: Thing}
  fieldPaths:
  - spec.c.[name=app].image
  - spec.args.[=--y.*]
  - spec.e.x
  - spec.n.y.z
  - spec.c.[name=zzz].image
  options: {create: true}
",
    )
    .expect("applies");
    let expected = krust_yaml::parse_one(
        "e: null\nn: null\nargs: [--x=1, new]\nc:\n- {name: app, image: new}\n- {name: myapp, image: new}\n\
         - {name: other, image: c}\n- {name: zzz, image: new}\n",
    )
    .expect("yaml");
    assert_eq!(m.resources()[1].value.get("spec"), Some(&expected));
}

/// Differential scenarios: `(name prefix, resources, replacements)`, compared with the real
/// kustomize when `kubectl.1.33` (kustomize v5.6, whose selectors are exact names rather than
/// regexes) is installed; skipped otherwise.
const DIFFERENTIAL: &[(&str, &str, &str)] = &[
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.m}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.lst, spec.mp, spec.made.0.x]\n    options: {create: true}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.s, options: {delimiter: '0', index: 1}}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.s, spec.i]\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.s}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.lst.2, spec.lst.0]\n    options: {create: true}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.s}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.lst.5]\n    options: {create: true}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.s}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.s]\n    options: {delimiter: 'l', index: 5}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.nope}\n  targets:\n  - select: {kind: Thing}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.m.x}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.s, spec.f]\n"),
    ("", TYPED, "- source: {kind: Thing, fieldPath: spec.lst.-}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.w]\n"),
    ("", TYPED, "- source:\n    kind: Thing\n    fieldPath: spec.lst.[=b]\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.w]\n"),
    ("pre-", TYPED, "- source: {kind: ConfigMap, name: src, fieldPath: data.w}\n  targets:\n  - select: {name: tgt}\n    fieldPaths: [spec.s]\n  - select: {name: pre-tgt}\n    fieldPaths: [spec.new]\n    options: {create: true}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.w}\n  targets:\n  - select: {kind: Thing}\n- source: {name: abc, fieldPath: metadata.name}\n  targets:\n  - select: {name: src}\n    fieldPaths: [data.w]\n"),
    ("", TYPED, "- source: {kind: ConfigMap}\n  targets:\n  - select: {kind: Thing}\n    reject: [{name: tgt}]\n  - select: {labelSelector: 'x in (y)'}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: metadata.name}\n  targets:\n  - select: {version: v1}\n    fieldPaths: [metadata.annotations.seen]\n    options: {create: true, delimiter: '/', index: 0}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.s}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.mp.k.deeper]\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.s]\n    options: {delimiter: ','}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, namespace: default, fieldPath: data.w}\n  targets:\n  - select: {group: '', version: v1, kind: Thing, name: tgt}\n    fieldPaths:\n    - metadata.annotations.a\\.b\n    - metadata.labels.[x.y/z]\n    - spec.x.[name=foo].val\n    - spec.q.0.r\n    options: {create: true}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.s, options: {delimiter: '8', index: 0}}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.s]\n    options: {delimiter: 'l', index: 2}\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.w]\n    options: {delimiter: 'b', index: -3}\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.s}\n  targets:\n  - select: {kind: Thing, annotationSelector: 'a!=b'}\n    reject: [{labelSelector: 'gone'}]\n    fieldPaths: [spec.i]\n"),
    ("", TYPED, "- source: {kind: ConfigMap, fieldPath: data.m}\n  targets:\n  - select: {kind: Thing}\n    fieldPaths: [spec.i, spec.b, spec.n]\n"),
    ("", TYPED, "- source: {kind: Thing, fieldPath: spec.lst}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.m, data.newlist]\n    options: {create: true}\n"),
];

#[test]
fn differential_against_kubectl() {
    let Some(kubectl) = kubectl() else {
        eprintln!("kubectl.1.33 not found; skipping the differential test");
        return;
    };
    let base = std::env::temp_dir().join(format!("krust-repl-diff-{}", std::process::id()));
    let mut failures = Vec::new();
    for (i, (prefix, resources, reps)) in DIFFERENTIAL.iter().enumerate() {
        let dir = base.join(i.to_string());
        std::fs::create_dir_all(&dir).expect("tmp dir");
        std::fs::write(dir.join("res.yaml"), resources).expect("write");
        let indented: String = reps.lines().map(|l| format!("{l}\n")).collect();
        std::fs::write(
            dir.join("kustomization.yaml"),
            format!("resources: [res.yaml]\nnamePrefix: '{prefix}'\nsortOptions: {{order: fifo}}\nreplacements:\n{indented}"),
        )
        .expect("write");
        let out = std::process::Command::new(&kubectl)
            .args(["kustomize"])
            .arg(&dir)
            .output()
            .expect("kubectl runs");
        let mut mine = resmap_of(docs(resources));
        if !prefix.is_empty() {
            rename(&mut mine, prefix, "");
        }
        let ours = parse_replacement_file(reps).and_then(|r| apply_replacements(&mut mine, &r));
        let theirs = String::from_utf8_lossy(&out.stdout).to_string();
        let their_err = String::from_utf8_lossy(&out.stderr).to_string();
        eprintln!(
            "#{i}: kustomize {}",
            if out.status.success() {
                "ok"
            } else {
                their_err.trim()
            }
        );
        match (ours, out.status.success()) {
            (Ok(()), true) => {
                let ours = krust_yaml::documents_to_string(values(&mine).iter());
                if ours != theirs {
                    failures.push(format!(
                        "#{i}: outputs differ\nkustomize:\n{theirs}\nkrust:\n{ours}"
                    ));
                }
            }
            (Err(e), false) => {
                let ours = e.to_string();
                let head = ours.split(" (in ").next().unwrap_or(&ours);
                if !their_err.contains(head) {
                    failures.push(format!(
                        "#{i}: errors differ\nkustomize: {their_err}\nkrust: {ours}"
                    ));
                }
            }
            (Ok(()), false) => failures.push(format!("#{i}: kustomize failed: {their_err}")),
            (Err(e), true) => {
                failures.push(format!("#{i}: krust failed: {e}\nkustomize:\n{theirs}"))
            }
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Scale check: many resources and replacements stay fast (name selectors use the index).
#[test]
fn scales_linearly_with_resources() {
    let n = 4000;
    let mut m = ResMap::new();
    for i in 0..n {
        let v = krust_yaml::parse_one(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\ndata:\n  v: '{i}'\n"
        ))
        .expect("yaml");
        m.push(Resource::new(v, Origin::default()));
    }
    let mut reps = Vec::new();
    for i in 0..200 {
        reps.push(Replacement {
            source: Some(SourceSelector {
                id: IdSelector {
                    kind: "ConfigMap".into(),
                    name: format!("cm{i}"),
                    ..IdSelector::default()
                },
                field_path: "data.v".into(),
                options: None,
            }),
            source_value: None,
            targets: Some(vec![TargetSelector {
                select: Some(Selector {
                    id: IdSelector {
                        name: format!("cm{}", i + 1),
                        ..IdSelector::default()
                    },
                    ..Selector::default()
                }),
                field_paths: vec!["data.copy".into()],
                options: Some(FieldOptions {
                    create: true,
                    ..FieldOptions::default()
                }),
                ..TargetSelector::default()
            }]),
        });
    }
    let start = std::time::Instant::now();
    apply_replacements(&mut m, &reps).expect("applies");
    let elapsed = start.elapsed();
    // A created field takes the type its text reads as, as in kustomize.
    assert_eq!(
        m.resources()[200].value.get_path(&["data", "copy"]),
        Some(&Value::Int(199))
    );
    assert!(elapsed.as_secs_f64() < 5.0, "took {elapsed:?}");
    eprintln!(
        "{} replacements over {n} resources: {elapsed:?}",
        reps.len()
    );
}

/// kustomize ≥ 5.8 writes inside JSON held in a string field and re-serialises it as Go's
/// `encoding/json` does (sorted keys; indented when the original was).
#[test]
fn writes_inside_embedded_json() {
    let m = apply_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: src\ndata:\n  host: db.internal\n  port: \"5432\"\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  config.json: |-\n    {\n      \"db\": {\n        \"port\": 3306,\n        \"host\": \"localhost\",\n        \"tls\": true\n      },\n      \"name\": \"a<b\"\n    }\n  compact.json: '{\"z\":1,\"db\":{\"host\":\"x\"}}'\n",
        "- source: {name: src, fieldPath: data.host}
  targets:
  - select: {name: app}
    fieldPaths:
    - data.config\\.json.db.host
    - data.compact\\.json.db.host
    - data.compact\\.json.db.extra
    options: {create: true}
- source: {name: src, fieldPath: data.port}
  targets:
  - select: {name: app}
    fieldPaths: [data.config\\.json.db.port]
",
    )
    .expect("applies");
    let data = m.resources()[1].value.get("data").expect("data");
    assert_eq!(
        data.str_at(&["config.json"]),
        Some("{\n  \"db\": {\n    \"host\": \"db.internal\",\n    \"port\": 5432,\n    \"tls\": true\n  },\n  \"name\": \"a\\u003cb\"\n}")
    );
    assert_eq!(
        data.str_at(&["compact.json"]),
        Some(r#"{"db":{"extra":"db.internal","host":"db.internal"},"z":1}"#)
    );
    // Embedded YAML is refused loudly rather than re-serialised in another key order.
    let err = apply_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  cfg: |\n    b: 1\n    a: x\n",
        "source: {name: app, fieldPath: metadata.name}\ntargets: [{select: {name: app}, fieldPaths: [data.cfg.a]}]\n",
    )
    .expect_err("embedded yaml");
    assert!(matches!(err, ReplacementError::EmbeddedYaml(_)), "{err}");
    // A plain string is not a document: the normal walk fails on it, as in kustomize.
    let err = apply_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  cfg: hello\n",
        "source: {name: app, fieldPath: metadata.name}\ntargets: [{select: {name: app}, fieldPaths: [data.cfg.a]}]\n",
    )
    .expect_err("scalar");
    assert!(
        err.to_string()
            .starts_with("unable to find field \"data.cfg.a\""),
        "{err}"
    );
}

/// `kubectl.1.33` (kustomize v5.6) on PATH or where the Google Cloud SDK installs it.
fn kubectl() -> Option<std::path::PathBuf> {
    let sdk = std::path::PathBuf::from("/usr/lib/google-cloud-sdk/bin/kubectl.1.33");
    let candidates = [std::path::PathBuf::from("kubectl.1.33"), sdk];
    candidates.into_iter().find(|c| {
        std::process::Command::new(c)
            .args(["version", "--client"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}
