//! Unit tests of the patch module. Expected values were produced with
//! `kubectl.1.33 kustomize` (kustomize v5.6.0) on small directories (see each test).

use super::*;
use krust_yaml::parse_one;

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
fn placeholder_compiles() {
    let r = smp(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {y: '2'}\n",
    );
    assert_eq!(
        r,
        y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1', y: '2'}\n")
    );
}
