//! Input discovery (Argo CD layout) and configuration semantics: selection by prefix, opt-in
//! rules, severity overrides, excludes, suppression annotations.

use std::path::{Path, PathBuf};

use krust_check::{check, input, Config, InputKind, Options, Severity};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/check")
        .join(name)
}

#[test]
fn argo_applications_attribute_and_filter_objects() {
    let input = input::load(&fixture("argo")).expect("load");
    assert_eq!(input.kind, Some(InputKind::Repository));
    let names: Vec<_> = input
        .objects
        .iter()
        .map(|o| {
            (
                o.value
                    .str_at(&["metadata", "name"])
                    .unwrap_or("")
                    .to_string(),
                o.origin.clone(),
            )
        })
        .collect();
    assert!(
        names.contains(&("web".into(), Some("Application argocd/web".into()))),
        "{names:?}"
    );
    for gone in ["excluded", "excluded-too", "not-read-without-recurse"] {
        assert!(
            !names.iter().any(|(n, _)| n == gone),
            "{gone} should be filtered: {names:?}"
        );
    }
    let report = check(&input, &Config::default(), &Options::default()).expect("check");
    let codes: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.code, f.message.clone()))
        .collect();
    // The chart's targetRevision floats; the namespace is created by CreateNamespace=true.
    assert!(codes.iter().any(|(c, _)| *c == "KR-IMG-003"), "{codes:?}");
    assert!(!codes.iter().any(|(c, _)| *c == "KR-ORD-006"), "{codes:?}");
}

#[test]
fn selection_severity_exclude_and_suppression() {
    let input = input::load(&fixture("planted")).expect("load");
    let (base, _) = Config::discover(&input.root).expect("config");

    // Prefix selection keeps only that family; opt-in rules need their exact code.
    let mut cfg = base.clone();
    cfg.select = vec!["KR-NET".into()];
    cfg.extend_select.clear();
    let r = check(&input, &cfg, &Options::default()).expect("check");
    assert!(r.findings.iter().all(|f| f.code.starts_with("KR-NET")));
    assert!(!r.findings.iter().any(|f| f.code == "KR-NET-007"));

    // Ignore by prefix, severity override by code.
    let mut cfg = base.clone();
    cfg.ignore = vec!["KR-POL".into(), "KR-SCH-00".into()];
    cfg.severity.insert("KR-IMG-001".into(), Severity::Error);
    let r = check(&input, &cfg, &Options::default()).expect("check");
    assert!(!r
        .findings
        .iter()
        .any(|f| f.code.starts_with("KR-POL") || f.code.starts_with("KR-SCH")));
    let img = r
        .findings
        .iter()
        .find(|f| f.code == "KR-IMG-001")
        .expect("KR-IMG-001");
    assert_eq!(img.severity, Severity::Error);

    // Excluded paths drop their findings.
    let mut cfg = base.clone();
    cfg.exclude = vec!["apps/**".into()];
    let r = check(&input, &cfg, &Options::default()).expect("check");
    assert!(!r.findings.iter().any(|f| f.file.starts_with("apps")));
    assert!(r.findings.iter().any(|f| f.file.starts_with("clusters")));

    // The node-agent DaemonSet opts out of KR-POL with krust.dev/ignore.
    let r = check(&input, &base, &Options::default()).expect("check");
    assert!(!r.findings.iter().any(|f| f
        .object
        .as_ref()
        .is_some_and(|o| o.name == "prod-node-agent")
        && f.code.starts_with("KR-POL")));
    assert_eq!(r.suppressed, 4);
    assert!(r.fails(Severity::Warning));
}

#[test]
fn unknown_codes_in_config_are_rejected() {
    let cfg = Config::parse("ignore = [\"KR-XYZ\"]\n", "krust.toml").expect("parse");
    let rules = krust_check::all_rules();
    let metas: Vec<_> = rules.iter().map(|r| r.meta()).collect();
    assert!(cfg.validate(&metas, "krust.toml").is_err());
    assert!(Config::parse("bogus = 1\n", "krust.toml").is_err());
    assert!(Config::parse("fail-on = \"fatal\"\n", "krust.toml").is_err());
}

#[test]
fn kube_versions_are_selectable() {
    let input = input::load(&fixture("rules/KR-API-002/bad")).expect("load");
    for v in ["1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35"] {
        let opts = Options {
            kube_version: Some(v.into()),
            strict: None,
        };
        let r = check(&input, &Config::default(), &opts).expect("check");
        let deprecated = r.findings.iter().any(|f| f.code == "KR-API-002");
        // core v1 Endpoints is deprecated from 1.33 on.
        assert_eq!(deprecated, v >= "1.33", "{v}");
    }
    let opts = Options {
        kube_version: Some("1.20".into()),
        strict: None,
    };
    assert!(check(&input, &Config::default(), &opts).is_err());
}
