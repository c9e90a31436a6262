//! Vars tests: trees from the conformance corpus (resources parsed directly, earlier pipeline
//! steps simulated by hand) and behaviours observed with `kubectl kustomize` v5.6.

use std::path::{Path, PathBuf};

use krust_yaml::Value;

use super::expand::{expand, go_float_v};
use super::*;
use crate::resource::Origin;
use crate::transformers::TransformerConfig;

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

fn specs() -> Vec<FieldSpec> {
    TransformerConfig::defaults().var_reference
}

/// A kustomization directory whose `resources:` are files or directories (bases), with
/// `namePrefix` and `vars` — the subset of the pipeline these cases need.
fn accumulate(dir: &Path) -> Result<(ResMap, VarSet), VarError> {
    let k = krust_yaml::parse_one(&read(&dir.join("kustomization.yaml"))).expect("kustomization");
    let k = k.as_map().expect("mapping");
    let get = |name: &str| {
        k.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut resources = ResMap::new();
    let mut set = VarSet::new();
    for r in get("resources")
        .and_then(|v| v.as_seq().cloned())
        .unwrap_or_default()
    {
        let p = dir.join(r.as_str().expect("path"));
        if p.is_dir() {
            let (sub, sub_vars) = accumulate(&p)?;
            for r in sub.into_resources() {
                resources.push(r);
            }
            set.merge_set(sub_vars)?;
        } else {
            for v in docs(&read(&p)) {
                resources.push(Resource::new(v, Origin::default()));
            }
        }
    }
    if let Some(prefix) = get("namePrefix").and_then(|v| v.as_str().map(str::to_string)) {
        for r in resources.resources_mut() {
            r.remember_id();
            let name = format!("{prefix}{}", r.name());
            r.set_name(&name);
        }
        resources.reindex();
    }
    let vars = parse_vars(&get("vars").unwrap_or(Value::Null))?;
    set.merge_vars(&resources, &vars).map_err(|e| {
        // kustomize's call site adds this prefix; keep it for the message test below.
        VarError::Invalid(format!("merging vars {}: {e}", describe_vars(&vars)))
    })?;
    Ok((resources, set))
}

fn build(case: &str, build_dir: &str) -> Option<Result<Vec<Value>, VarError>> {
    let root = corpus(case)?;
    Some(
        accumulate(&root.join("input").join(build_dir)).and_then(|(mut m, set)| {
            resolve_vars(&mut m, &set, &specs())?;
            Ok(m.resources().iter().map(|r| r.value.clone()).collect())
        }),
    )
}

fn expect_output(case: &str, build_dir: &str) {
    let Some(got) = build(case, build_dir) else {
        return;
    };
    let Some(root) = corpus(case) else { return };
    let want = docs(&read(&root.join("expected.yaml")));
    assert_eq!(got.expect("builds"), want, "{case}");
}

fn expect_error(case: &str, build_dir: &str) {
    let Some(got) = build(case, build_dir) else {
        return;
    };
    let Some(root) = corpus(case) else { return };
    let err = got.expect_err("must fail").to_string();
    for line in read(&root.join("expected_error.txt")).lines() {
        if let Some(want) = line.strip_prefix("contains: ") {
            assert!(err.contains(want), "{case}: {err:?} lacks {want:?}");
        }
    }
}

#[test]
fn corpus_var_propagates_up() {
    expect_output("TestVarPropagatesUp", "overlay");
}

#[test]
fn corpus_basic_var_collision() {
    expect_error("TestBasicVarCollision", "overlay");
}

#[test]
fn corpus_bug_506() {
    expect_error("TestBug506", "top");
}

#[test]
fn corpus_variables_ambiguous() {
    expect_error("TestVariablesAmbiguous", ".");
}

#[test]
fn corpus_variables_ambiguous_workaround() {
    expect_output("TestVariablesAmbiguousWorkaround", "workaround");
}

#[test]
fn corpus_variables_disambiguated_with_namespace() {
    expect_output("TestVariablesDisambiguatedWithNamespace", ".");
}

#[test]
fn corpus_simple_service_port_var_replace() {
    expect_output("TestSimpleServicePortVarReplace", ".");
}

#[test]
fn corpus_variable_ref_ingress_basic() {
    expect_output("TestVariableRefIngressBasic", ".");
}

#[test]
fn corpus_variable_ref_mount_path() {
    expect_output("TestVariableRefMountPath", "base");
}

#[test]
fn corpus_variable_ref_maps() {
    expect_output("TestVariableRefMaps", "base");
}

// TestIssue3377 (needs JSON patches) and TestVariableRefNFSServer (needs the name-reference
// fix-up) are left to the pipeline's end-to-end conformance run.

#[test]
fn corpus_variable_ref_different_prefix() {
    expect_output("TestVaribaleRefDifferentPrefix", "base");
}

fn one(text: &str) -> Value {
    krust_yaml::parse_one(text).expect("yaml")
}

fn resmap(texts: &[&str]) -> ResMap {
    let mut m = ResMap::new();
    for t in texts {
        m.push(Resource::new(one(t), Origin::default()));
    }
    m
}

#[test]
fn expansion_rules() {
    let mut values = BTreeMap::new();
    values.insert("A".to_string(), VarValue::String("x".into()));
    values.insert("N".to_string(), VarValue::Int(8080));
    values.insert("B".to_string(), VarValue::Bool(true));
    values.insert("F".to_string(), VarValue::Float(1e6));
    values.insert("M".to_string(), VarValue::Complex(Value::new_map()));
    let mut counts = HashMap::new();
    let mut e = |s: &str| expand(s, &values, &mut counts);
    assert_eq!(e("$(A)"), Value::from("x"));
    assert_eq!(e("$(N)"), Value::Int(8080));
    assert_eq!(e("$(B)"), Value::Bool(true));
    assert_eq!(e("port-$(N)/$(A)"), Value::from("port-8080/x"));
    assert_eq!(e("$$(A)"), Value::from("$(A)"));
    assert_eq!(e("$$$(A)"), Value::from("$x"));
    assert_eq!(e("$(UNKNOWN)-$(A)"), Value::from("$(UNKNOWN)-x"));
    assert_eq!(e("$(M)"), Value::from("$(M)"));
    assert_eq!(e("a$(A"), Value::from("a$(A"));
    assert_eq!(e("$x$"), Value::from("$x$"));
    assert_eq!(e("f=$(F)"), Value::from("f=1e+06"));
    assert_eq!(counts.get("A"), Some(&4));
    assert_eq!(counts.get("M"), None);
}

#[test]
fn unknown_fields_are_errors() {
    let err = parse_vars(&one(
        "- name: V1\n  objref: {kind: Pod, name: p, apiVersion: v1}\n  fieldref: {path: spec.x}\n",
    ))
    .expect_err("strict");
    assert_eq!(
        err.to_string(),
        "invalid Kustomization: json: unknown field \"path\""
    );
    let ok = parse_vars(&one(
        "- NAME: V1\n  objRef: {Kind: Pod, name: p, apiversion: v1}\n  fieldref: {fieldpath: spec.x}\n",
    ))
    .expect("case-insensitive keys");
    assert_eq!(ok[0].field_path, "spec.x");
    assert_eq!(ok[0].objref.api_version, "v1");
}

#[test]
fn go_float_formatting() {
    assert_eq!(go_float_v(0.5), "0.5");
    assert_eq!(go_float_v(123456.0), "123456");
    assert_eq!(go_float_v(1234567.0), "1.234567e+06");
    assert_eq!(go_float_v(0.00001), "1e-05");
}

/// Observed with `kubectl kustomize` (v5.6).
#[test]
fn error_texts() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    command: [\"$(V1)\", 1]\n";
    let run = |vars: &str| -> Result<Vec<String>, VarError> {
        let mut m = resmap(&[pod]);
        let mut set = VarSet::new();
        set.merge_vars(&m, &parse_vars(&one(vars))?)?;
        resolve_vars(&mut m, &set, &specs())
    };
    let err = run("- name: V1\n  objref: {kind: Pod, name: nope, apiVersion: v1}\n")
        .expect_err("unmapped");
    assert_eq!(
        err.to_string(),
        "var '{V1 Pod.v1.[noGrp] {metadata.name}}' cannot be mapped to a field in the set of known resources"
    );
    let err = run("- name: V1\n  objref: {kind: Pod, name: p, apiVersion: v1}\n  fieldref: {fieldPath: spec.nothing}\n")
        .expect_err("no field");
    assert_eq!(
        err.to_string(),
        "field specified in var '{V1 Pod.v1.[noGrp] {spec.nothing}}' not found in corresponding resource"
    );
    let err =
        run("- name: V1\n  objref: {kind: Pod, name: p, apiVersion: v1}\n").expect_err("bad list");
    assert_eq!(
        err.to_string(),
        "considering field 'spec/containers/command' of object Pod.v1.[noGrp]/p.[noNs]: \
         visit traversal on path: [command]: invalid value type expect a string"
    );
    let err = run("- name: V1\n  objref: {kind: Pod, name: p, apiVersion: v1}\n- name: V1\n  objref: {kind: Pod, name: p, apiVersion: v1}\n")
        .expect_err("duplicate");
    assert!(
        err.to_string().ends_with("var 'V1' already encountered"),
        "{err}"
    );
}

#[test]
fn ambiguity_message_matches_kustomize() {
    let Some(Err(err)) = build("TestVariablesAmbiguous", ".") else {
        return;
    };
    assert_eq!(
        err.to_string(),
        "invalid var: merging vars [{elasticsearch-test-service-name Service.[noVer].[noGrp] {metadata.name}} \
         {elasticsearch-test-protocol Service.[noVer].[noGrp] {spec.ports[0].protocol}} \
         {elasticsearch-dev-service-name Service.[noVer].[noGrp] {metadata.name}} \
         {elasticsearch-dev-protocol Service.[noVer].[noGrp] {spec.ports[0].protocol}}]: \
         found 2 resId matches for var {elasticsearch-test-service-name Service.v1.[noGrp] {metadata.name}} \
         (unable to disambiguate)"
    );
}

#[test]
fn binding_follows_renames_and_reports_unused() {
    let mut m = resmap(&[
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports:\n  - port: 80\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    args: [\"--svc=$(SVC)\", \"$(PORT)\"]\n",
    ]);
    let mut set = VarSet::new();
    let vars = parse_vars(&one(
        "- name: SVC\n  objref: {kind: Service, name: svc, apiVersion: v1}\n\
         - name: PORT\n  objref: {kind: Service, name: svc, apiVersion: v1}\n  fieldref:\n    fieldpath: spec.ports[0].port\n\
         - name: UNUSED\n  objref: {kind: Pod, name: p, apiVersion: v1}\n",
    ))
    .expect("vars");
    set.merge_vars(&m, &vars).expect("bind");
    // A later overlay renames everything; the vars still find their objects.
    for r in m.resources_mut() {
        r.remember_id();
        let name = format!("top-{}-h4sh", r.name());
        r.set_name(&name);
    }
    m.reindex();
    let unused = resolve_vars(&mut m, &set, &specs()).expect("resolves");
    assert_eq!(unused, vec!["UNUSED".to_string()]);
    let args = m.resources()[1]
        .value
        .get_path(&["spec", "containers"])
        .and_then(|c| c.as_seq())
        .and_then(|c| c[0].get("args"))
        .cloned();
    assert_eq!(
        args,
        Some(Value::Seq(vec![
            Value::from("--svc=top-svc-h4sh"),
            Value::Int(80)
        ]))
    );
}

const DIFF_RESOURCES: &str = "apiVersion: v1
kind: Service
metadata:
  name: svc
  namespace: ns1
  labels:
    tier: $(TIER)
spec:
  ports:
  - name: http
    port: 8080
  clusterIP: None
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  ratio: \"0.5\"
  flag: \"on\"
  nested:
    a: b
---
apiVersion: v1
kind: Custom
metadata:
  name: cfg2
spec:
  ratio: 0.25
  big: 12345678.5
  on: true
  list: [x, y]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  annotations:
    svc: $(SVC)
spec:
  template:
    spec:
      containers:
      - name: c
        image: img
        command: [run, \"$(SVC)\", \"$$(SVC)\", \"$(NOPE)\", \"$(PORT)\", \"p=$(PORT)\", \"$(LIST)\", \"$(\", \"$$$(SVC)\", \"$x\"]
        args: [\"$(RATIO)\", \"r=$(RATIO)\", \"$(BOOLV)\", \"b=$(BOOLV)\", \"$(BIG)\", \"$(BIG)!\"]
        env:
        - name: A
          value: $(SVC).$(NS).svc
        - name: B
          value: $(PORT)
        volumeMounts:
        - name: v
          mountPath: /data/$(SVC)
";

const DIFF_VARS: &str = "- name: SVC
  objref: {kind: Service, name: svc, apiVersion: v1}
- name: NS
  objref: {kind: Service, name: svc, apiVersion: v1, namespace: ns1}
  fieldref:
    fieldpath: metadata.namespace
- name: PORT
  objref: {kind: Service, name: svc, apiVersion: v1}
  fieldref:
    fieldpath: spec.ports[0].port
- name: TIER
  objref: {kind: ConfigMap, name: cfg, apiVersion: v1}
  fieldref:
    fieldpath: data.flag
- name: RATIO
  objref: {kind: Custom, name: cfg2, apiVersion: v1}
  fieldref:
    fieldpath: spec.ratio
- name: BOOLV
  objref: {kind: Custom, name: cfg2, apiVersion: v1}
  fieldref:
    fieldpath: spec.on
- name: BIG
  objref: {kind: Custom, name: cfg2, apiVersion: v1}
  fieldref:
    fieldpath: spec.big
- name: LIST
  objref: {kind: Custom, name: cfg2, apiVersion: v1}
  fieldref:
    fieldpath: spec.list
- name: UNUSED
  objref: {kind: ConfigMap, name: cfg, apiVersion: v1}
";

/// Compares with the real kustomize when `kubectl.1.33` (kustomize v5.6) is installed; skipped
/// otherwise.
#[test]
fn differential_against_kubectl() {
    let Some(kubectl) = kubectl() else {
        eprintln!("kubectl.1.33 not found; skipping the differential test");
        return;
    };
    let dir = std::env::temp_dir().join(format!("krust-vars-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    std::fs::write(dir.join("res.yaml"), DIFF_RESOURCES).expect("write");
    for prefix in ["", "p-"] {
        std::fs::write(
            dir.join("kustomization.yaml"),
            format!("resources: [res.yaml]\nnamePrefix: '{prefix}'\nsortOptions: {{order: fifo}}\nvars:\n{DIFF_VARS}"),
        )
        .expect("write");
        let out = std::process::Command::new(&kubectl)
            .args(["kustomize"])
            .arg(&dir)
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = String::from_utf8_lossy(&out.stdout).to_string();
        let mut m = resmap(&[]);
        for v in docs(DIFF_RESOURCES) {
            m.push(Resource::new(v, Origin::default()));
        }
        for r in m.resources_mut() {
            if !prefix.is_empty() {
                r.remember_id();
                let name = format!("{prefix}{}", r.name());
                r.set_name(&name);
            }
        }
        m.reindex();
        let mut set = VarSet::new();
        set.merge_vars(&m, &parse_vars(&one(DIFF_VARS)).expect("vars"))
            .expect("bind");
        let unused = resolve_vars(&mut m, &set, &specs()).expect("resolve");
        // A list value is never substituted, so it counts as unused too.
        assert_eq!(unused, vec!["LIST".to_string(), "UNUSED".to_string()]);
        let ours = krust_yaml::documents_to_string(m.resources().iter().map(|r| &r.value));
        assert_eq!(ours, theirs, "prefix {prefix:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Scale check: binding, resolving and expanding stay linear in the number of resources.
#[test]
fn scales_linearly_with_resources() {
    let n = 4000;
    let mut m = ResMap::new();
    for i in 0..n {
        let v = one(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{i}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        args: [\"--peer=$(V{})\"]\n",
            i % 50
        ));
        m.push(Resource::new(v, Origin::default()));
    }
    let vars: Vec<Var> = (0..50)
        .map(|i| Var {
            name: format!("V{i}"),
            objref: ObjRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                name: format!("d{i}"),
                ..ObjRef::default()
            },
            field_path: String::new(),
        })
        .collect();
    let specs = specs();
    let start = std::time::Instant::now();
    let mut set = VarSet::new();
    set.merge_vars(&m, &vars).expect("bind");
    let t1 = start.elapsed();
    let values = set.resolve(&m).expect("resolve");
    let t2 = start.elapsed();
    let unused = expand_vars(&mut m, &values, &specs).expect("expand");
    eprintln!(
        "bind {t1:?}, resolve {:?}, expand {:?}",
        t2 - t1,
        start.elapsed() - t2
    );
    let elapsed = start.elapsed();
    assert!(unused.is_empty());
    let args = m.resources()[123]
        .value
        .get_path(&["spec", "template", "spec", "containers"])
        .and_then(|c| c.as_seq())
        .and_then(|c| c[0].get("args"))
        .cloned();
    assert_eq!(args, Some(Value::Seq(vec![Value::from("--peer=d23")])));
    assert!(elapsed.as_secs_f64() < 5.0, "took {elapsed:?}");
    eprintln!("50 vars over {n} resources: {elapsed:?}");
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
