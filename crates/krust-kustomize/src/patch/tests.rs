//! Unit tests of the patch module. Expected values were produced with
//! `kubectl.1.33 kustomize` (kustomize v5.6.0) on small directories (see each test).

use super::*;
use crate::resource::Gvk;
use crate::resource::{ResMap, Resource};
use krust_yaml::{parse_documents, parse_one};

fn y(s: &str) -> Value {
    parse_one(s).expect("test YAML parses")
}

fn smp(target: &str, patch: &str) -> Value {
    let mut t = y(target);
    let out = apply_strategic_merge(&mut t, y(patch), MergeSchema::builtin()).expect("merges");
    assert_eq!(out, SmpOutcome::Patched);
    t
}

#[test]
fn maps_merge_and_null_deletes() {
    let r = smp(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1', z: '3'}\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {y: '2', z: null}\n",
    );
    assert_eq!(
        r,
        y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1', y: '2'}\n")
    );
}

#[test]
fn merged_lists_put_patch_elements_first() {
    // kubectl.1.33 kustomize: patch [b, new] on [a, b, c] gives [b, new, a, c].
    let dep = |c: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec: {{template: {{spec: {{containers: {c}}}}}}}\n"
        )
    };
    let r = smp(
        &dep("[{name: a}, {name: b, image: b}, {name: c}]"),
        &dep("[{name: b, image: b2}, {name: new}]"),
    );
    assert_eq!(
        r,
        y(&dep(
            "[{name: b, image: b2}, {name: new}, {name: a}, {name: c}]"
        ))
    );
}

#[test]
fn unknown_kinds_replace_lists() {
    let r = smp(
        "apiVersion: x.io/v1\nkind: Foo\nmetadata: {name: f}\nspec: {items: [{name: a}, {name: b}]}\n",
        "apiVersion: x.io/v1\nkind: Foo\nmetadata: {name: f}\nspec: {items: [{name: c}]}\n",
    );
    assert_eq!(r.get_path(&["spec", "items"]), Some(&y("[{name: c}]")));
}

#[test]
fn delete_directive_deletes_the_object() {
    let mut t = y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    let out = apply_strategic_merge(
        &mut t,
        y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n$patch: delete\n"),
        MergeSchema::builtin(),
    )
    .expect("merges");
    assert_eq!(out, SmpOutcome::Deleted);
}

#[test]
fn unknown_directive_is_an_error() {
    let mut t = y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n");
    let err = apply_strategic_merge(
        &mut t,
        y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {$patch: bogus}\n"),
        MergeSchema::builtin(),
    )
    .expect_err("fails");
    assert_eq!(err.to_string(), "unknown patch strategy 'bogus'");
}

#[test]
fn resource_keeps_name_kind_and_namespace_unless_allowed() {
    let res = || {
        Resource::new(
            y("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ns}\n"),
            Default::default(),
        )
    };
    let patch = y("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: e, namespace: other}\nspec: {replicas: 2}\n");
    let mut r = res();
    apply_sm_patch_to_resource(
        &mut r,
        &patch,
        PatchOptions::default(),
        MergeSchema::builtin(),
    )
    .expect("applies");
    assert_eq!(
        (r.kind(), r.name(), r.namespace()),
        ("Deployment", "d", "ns")
    );
    let mut r = res();
    let opts = PatchOptions {
        allow_name_change: true,
        allow_kind_change: true,
    };
    apply_sm_patch_to_resource(&mut r, &patch, opts, MergeSchema::builtin()).expect("applies");
    assert_eq!(
        (r.kind(), r.name(), r.namespace()),
        ("StatefulSet", "e", "ns")
    );
    assert_eq!(r.previous_ids.len(), 1);
    assert_eq!(r.previous_ids[0].name, "d");
}

#[test]
fn patch_text_classification() {
    let inline = |t: &str| PatchSource::Inline(t.to_string());
    let sm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
    assert!(matches!(parse_patch(sm, &inline(sm)), Ok(Patch::StrategicMerge(d)) if d.len() == 2));
    let json = r#"[{"op": "add", "path": "/a", "value": 1}]"#;
    assert!(matches!(parse_patch(json, &inline(json)), Ok(Patch::Json6902(o)) if o.len() == 1));
    let yaml_ops = "- op: remove\n  path: /a\n";
    assert!(matches!(
        parse_patch(yaml_ops, &inline(yaml_ops)),
        Ok(Patch::Json6902(_))
    ));
    let comments = "# only a comment\n";
    let src = PatchSource::Path("c.yaml".into());
    assert!(matches!(parse_patch(comments, &src), Ok(Patch::StrategicMerge(d)) if d.is_empty()));
    let err = parse_patch("just text", &src).expect_err("neither");
    assert_eq!(
        err.to_string(),
        "unable to parse SM or JSON patch from [path: \"c.yaml\"]"
    );
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n";
    assert!(matches!(parse_strategic_merge_patches(list), Ok(d) if d.len() == 1));
}

#[test]
fn go_quote_escapes_like_percent_q() {
    assert_eq!(go_quote("a\"b\\c\nd\te"), r#""a\"b\\c\nd\te""#);
    assert_eq!(
        PatchSource::Inline("x: 1\n".into()).to_string(),
        r#"[patch: "x: 1\n"]"#
    );
}

#[test]
fn json_pointer_escapes_and_negative_indices() {
    let mut doc = y("{a/b: 1, m~n: 2, l: [1, 2, 3]}");
    let ops = vec![
        json6902::op("replace", "/a~1b", Some(Value::Int(10))),
        json6902::op("remove", "/m~0n", None),
        json6902::op("add", "/l/-", Some(Value::Int(4))),
        json6902::op("remove", "/l/-1", None),
        json6902::op("add", "/l/0", Some(Value::Int(0))),
    ];
    json6902::apply_ops(&mut doc, &ops).expect("applies");
    assert_eq!(doc, y("{a/b: 10, l: [0, 1, 2, 3]}"));
    let err =
        json6902::apply_ops(&mut doc, &[json6902::op("remove", "/nope", None)]).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "error in remove for path: '/nope': Unable to remove nonexistent key: nope: missing value"
    );
}

#[test]
fn selectors_match_original_names_and_label_expressions() {
    let mut r = Resource::new(
        y("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p-web, labels: {app: web, tier: fe}}\n"),
        Default::default(),
    );
    r.previous_ids.push(ResId {
        gvk: Gvk::from_api_version("apps/v1", "Deployment"),
        namespace: String::new(),
        name: "web".into(),
    });
    let sel = |s: Selector| s.compile().expect("compiles").matches(&r);
    assert!(sel(Selector {
        name: "web".into(),
        ..Selector::default()
    }));
    assert!(sel(Selector {
        name: "p-.*".into(),
        ..Selector::default()
    }));
    assert!(!sel(Selector {
        name: "we".into(),
        ..Selector::default()
    }));
    assert!(sel(Selector {
        group: "apps".into(),
        version: "v1".into(),
        kind: "Deploy.*".into(),
        ..Selector::default()
    }));
    assert!(sel(Selector {
        namespace: "default".into(),
        ..Selector::default()
    }));
    for (expr, want) in [
        ("app=web", true),
        ("app==web,tier!=be", true),
        ("app in (api, web)", true),
        ("app notin (web)", false),
        ("tier", true),
        ("!tier", false),
        ("!missing", true),
        ("missing!=x", true),
    ] {
        let s = Selector {
            label_selector: expr.into(),
            ..Selector::default()
        };
        assert_eq!(sel(s), want, "{expr}");
    }
    assert!(LabelSelector::parse("a in (").is_err());
    assert!(LabelSelector::parse("a=b,").is_err());
    assert!(Selector {
        name: "(".into(),
        ..Selector::default()
    }
    .compile()
    .is_err());
}

/// Differential cases: every sub-directory of `testdata/cases` (or of `$KRUST_PATCH_CASES`) is
/// a kustomization with `resources:` files and patch fields; the patch module's result is
/// compared with `expected.yaml` (the output of `kubectl.1.33 kustomize` with
/// `sortOptions: {order: fifo}`) or `expected_error.txt` (a substring). `testdata/mk.py`
/// regenerates them.
#[test]
fn differential_cases() {
    let root = std::env::var("KRUST_PATCH_CASES").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/patch/testdata/cases").to_string()
    });
    let mut failed = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("case dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let got = run_case(&dir);
        let exp = std::fs::read_to_string(dir.join("expected.yaml"));
        let err = std::fs::read_to_string(dir.join("expected_error.txt"));
        let ok = match (&got, exp, err) {
            (Ok(g), Ok(e), _) => *g == e,
            (Err(g), _, Ok(e)) => g.contains(e.trim()),
            _ => false,
        };
        if !ok {
            failed.push(format!("{}: got {:?}", dir.display(), got));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

fn run_case(dir: &std::path::Path) -> Result<String, String> {
    let resmap = build_dir(dir)?;
    Ok(krust_yaml::documents_to_string(
        resmap.resources().iter().map(|r| &r.value),
    ))
}

/// A minimal build for the harness: resources (files and directories, recursively) and the
/// three patch fields, in kustomize's order.
fn build_dir(dir: &std::path::Path) -> Result<ResMap, String> {
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).map_err(|e| e.to_string());
    let ktext = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .find_map(|f| read(f).ok())
        .ok_or_else(|| format!("no kustomization in {}", dir.display()))?;
    let k = y(&ktext);
    let mut resmap = ResMap::new();
    if let Some(Value::Seq(rs)) = k.get("resources") {
        for r in rs {
            let rel = r.as_str().unwrap_or("");
            let path = dir.join(rel);
            if path.is_dir() {
                for res in build_dir(&path)?.into_resources() {
                    resmap.push(res);
                }
                continue;
            }
            let text = read(rel)?;
            for d in parse_documents(&text).map_err(|e| e.to_string())? {
                if !d.value.is_null() {
                    resmap.push(Resource::new(d.value, Default::default()));
                }
            }
        }
    }
    let schema = MergeSchema::builtin();
    if let Some(Value::Seq(entries)) = k.get("patchesStrategicMerge") {
        let mut docs = Vec::new();
        let mut names = Vec::new();
        for e in entries {
            let s = e.as_str().unwrap_or("");
            names.push(s.to_string());
            let text = read(s).unwrap_or_else(|_| s.to_string());
            docs.extend(parse_strategic_merge_patches(&text).map_err(|e| e.to_string())?);
        }
        apply_strategic_merge_patches(&mut resmap, &docs, &names, schema)
            .map_err(|e| e.to_string())?;
    }
    if let Some(Value::Seq(entries)) = k.get("patches") {
        for e in entries {
            let (text, source) = match (e.str_at(&["path"]), e.str_at(&["patch"])) {
                (Some(p), _) => (read(p)?, PatchSource::Path(p.to_string())),
                (None, Some(t)) => (t.to_string(), PatchSource::Inline(t.to_string())),
                _ => return Err("bad entry".into()),
            };
            let patch = parse_patch(&text, &source).map_err(|e| e.to_string())?;
            let target = match e.get("target") {
                Some(t) => Some(Selector::from_value(t).map_err(|e| e.to_string())?),
                None => None,
            };
            let opts = e
                .get("options")
                .map(PatchOptions::from_value)
                .unwrap_or_default();
            apply_patch(&mut resmap, &patch, target.as_ref(), opts, &source, schema)
                .map_err(|e| e.to_string())?;
        }
    }
    if let Some(Value::Seq(entries)) = k.get("patchesJson6902") {
        for e in entries {
            let (text, file) = match (e.str_at(&["path"]), e.str_at(&["patch"])) {
                (Some(p), _) => (read(p)?, p.to_string()),
                (None, Some(t)) => (t.to_string(), String::new()),
                _ => return Err("bad entry".into()),
            };
            let ops = parse_json6902(&text, &file).map_err(|e| e.to_string())?;
            let target = Selector::from_value(e.get("target").unwrap_or(&Value::Null))
                .map_err(|e| e.to_string())?;
            apply_json6902_patch(&mut resmap, &ops, &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(resmap)
}

/// Conformance cases of the shared corpus that use only resources and patches (not run by
/// default; set `KRUST_CORPUS` to the corpus directory).
#[test]
#[ignore]
fn corpus_patch_cases() {
    let Ok(root) = std::env::var("KRUST_CORPUS") else {
        eprintln!("KRUST_CORPUS not set");
        return;
    };
    // Cases that need more than patching (duplicate-id checks, the load restrictor, name
    // references) are left to the pipeline's conformance runner.
    let needs_pipeline = [
        "TestIssue1251_CompositeDiamond_Failure",
        "TestIssue1251_Patches_ProdVsDev_Failure",
        "TestNameReferenceAfterGvknChange",
    ];
    let allowed = [
        "resources",
        "patches",
        "patch-target",
        "inline-patch",
        "patchesStrategicMerge(legacy)",
        "patchesJson6902(legacy)",
        "error-case",
    ];
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let (mut pass, mut fail) = (0, Vec::new());
    for dir in dirs {
        let Ok(cj) = std::fs::read_to_string(dir.join("case.json")) else {
            continue;
        };
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if needs_pipeline.contains(&name) {
            continue;
        }
        let cj = y(&cj);
        let features: Vec<&str> = cj
            .get("features")
            .and_then(Value::as_seq)
            .map(|s| s.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let patchy = features.iter().any(|f| f.starts_with("patch"));
        if !patchy || !features.iter().all(|f| allowed.contains(f)) {
            continue;
        }
        let build = dir
            .join("input")
            .join(cj.str_at(&["build_dir"]).unwrap_or("."));
        let got = run_case(&build);
        let exp = std::fs::read_to_string(dir.join("expected.yaml"));
        let err = std::fs::read_to_string(dir.join("expected_error.txt"));
        let ok = match (&got, exp, err) {
            (Ok(g), Ok(e), _) => *g == e,
            (Err(g), _, Ok(e)) => e
                .lines()
                .filter_map(|l| l.strip_prefix("contains: "))
                .all(|c| g.contains(c)),
            _ => false,
        };
        if ok {
            pass += 1;
        } else {
            fail.push(format!("{}: {:?}", dir.display(), got));
        }
    }
    eprintln!("corpus patch cases: {pass} passed, {} failed", fail.len());
    assert!(fail.is_empty(), "{}", fail.join("\n\n"));
}

/// Timing smoke test (not run by default; use `--release -- --ignored --nocapture`): 4,000
/// resources, 100 strategic merge patches by id, 100 by target, 100 JSON patches.
#[test]
#[ignore]
fn perf_smoke() {
    let mut resmap = ResMap::new();
    for i in 0..1000 {
        let dep = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app{i}, labels: {{app: app{i}}}}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        image: nginx\n        env: [{{name: A, value: '1'}}, {{name: B, value: '2'}}]\n        volumeMounts: [{{name: cfg, mountPath: /cfg}}]\n      volumes: [{{name: cfg, configMap: {{name: cm{i}}}}}]\n"
        );
        resmap.push(Resource::new(y(&dep), Default::default()));
        for kind in ["Service", "ConfigMap", "ServiceAccount"] {
            let r = format!("apiVersion: v1\nkind: {kind}\nmetadata: {{name: app{i}}}\n");
            resmap.push(Resource::new(y(&r), Default::default()));
        }
    }
    let mut entries = Vec::new();
    for i in 0..100 {
        let text = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app{}}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: main\n        env: [{{name: C, value: '3'}}]\n",
            i * 7
        );
        let source = PatchSource::Inline(text.clone());
        entries.push(PatchEntry {
            patch: parse_patch(&text, &source).expect("parses"),
            target: None,
            options: PatchOptions::default(),
            source,
        });
        let text =
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 2}\n"
                .to_string();
        let source = PatchSource::Inline(text.clone());
        entries.push(PatchEntry {
            patch: parse_patch(&text, &source).expect("parses"),
            target: Some(Selector {
                name: format!("app{}", i * 9),
                kind: "Deployment".into(),
                ..Selector::default()
            }),
            options: PatchOptions::default(),
            source,
        });
        let text =
            "[{\"op\": \"add\", \"path\": \"/metadata/labels/x\", \"value\": \"y\"}]".to_string();
        let source = PatchSource::Inline(text.clone());
        entries.push(PatchEntry {
            patch: parse_patch(&text, &source).expect("parses"),
            target: Some(Selector {
                label_selector: format!("app=app{}", i * 3),
                ..Selector::default()
            }),
            options: PatchOptions::default(),
            source,
        });
    }
    let t = std::time::Instant::now();
    let _ = MergeSchema::builtin();
    eprintln!("schema table: {:?}", t.elapsed());
    let only: Option<usize> = std::env::var("PERF_ONLY").ok().and_then(|v| v.parse().ok());
    for k in 0..3 {
        if only.is_some_and(|o| o != k) {
            continue;
        }
        let sub: Vec<PatchEntry> = entries.iter().skip(k).step_by(3).cloned().collect();
        let t = std::time::Instant::now();
        apply_patches(&mut resmap, &sub, MergeSchema::builtin()).expect("applies");
        eprintln!(
            "kind {k}: 100 patches on {} resources: {:?}",
            resmap.len(),
            t.elapsed()
        );
        let t = std::time::Instant::now();
        for e in &sub {
            let schema = MergeSchema::builtin();
            apply_patch(
                &mut resmap,
                &e.patch,
                e.target.as_ref(),
                e.options,
                &e.source,
                schema,
            )
            .expect("applies");
        }
        eprintln!(
            "kind {k}: the same, one apply_patch call per entry: {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn invalid_patch_documents_use_kustomize_texts() {
    // Texts from kubectl.1.33 kustomize with `patchesStrategicMerge`.
    let err = |t: &str| {
        parse_strategic_merge_patches(t)
            .expect_err("invalid")
            .to_string()
    };
    assert_eq!(
        err("apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}}\ndata: {x: y}\n"),
        "missing metadata.name in object {{v1 ConfigMap} {{ } map[a:b] map[]}}"
    );
    assert_eq!(
        err("apiVersion: v1\nmetadata: {name: a}\ndata: {x: y}\n"),
        "missing kind in object {{v1 } {{a } map[] map[]}}"
    );
    assert_eq!(err("- a\n- b\n"), "missing Resource metadata");
}
