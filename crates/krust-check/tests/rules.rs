//! Every rule has a fixture that triggers it (`bad/`) and one that does not (`good/`), under
//! `tests/fixtures/check/rules/<CODE>/`. Each fixture directory is loaded as `krust check DIR`
//! would load it, with its own `krust.toml` when present and the rule selected explicitly (so
//! opt-in rules run too).

use std::path::{Path, PathBuf};

use krust_check::{all_rules, check, input, Config, Options};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/check/rules")
}

fn run(dir: &Path, code: &str) -> Vec<krust_check::Finding> {
    let input = input::load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let cfg_file = dir.join("krust.toml");
    let mut config = if cfg_file.is_file() {
        Config::from_file(&cfg_file).expect("fixture krust.toml")
    } else {
        Config::default()
    };
    config.extend_select.push(code.to_string());
    let report = check(&input, &config, &Options::default()).expect("check");
    report.findings
}

#[test]
fn every_rule_has_triggering_and_clean_fixtures() {
    let mut failures = Vec::new();
    for rule in all_rules() {
        let code = rule.meta().code;
        let base = fixtures().join(code);
        let bad = base.join("bad");
        let good = base.join("good");
        if !bad.is_dir() || !good.is_dir() {
            failures.push(format!(
                "{code}: missing fixture directories under {}",
                base.display()
            ));
            continue;
        }
        let hits = run(&bad, code);
        if !hits.iter().any(|f| f.code == code) {
            failures.push(format!(
                "{code}: bad/ fixture does not trigger it; got {:?}",
                hits.iter()
                    .map(|f| format!("{} {}", f.code, f.message))
                    .collect::<Vec<_>>()
            ));
        }
        let hits = run(&good, code);
        let mine: Vec<_> = hits.iter().filter(|f| f.code == code).collect();
        if !mine.is_empty() {
            failures.push(format!(
                "{code}: good/ fixture triggers it: {:?}",
                mine.iter().map(|f| &f.message).collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn codes_are_unique_and_documented() {
    let rules = all_rules();
    let mut codes: Vec<_> = rules.iter().map(|r| r.meta().code).collect();
    codes.dedup();
    assert_eq!(codes.len(), rules.len(), "duplicate rule codes");
    for r in &rules {
        let m = r.meta();
        let doc = m.explanation();
        assert!(
            doc.contains("## What it does"),
            "{}: no 'What it does'",
            m.code
        );
        assert!(
            doc.contains("## Why is this bad?"),
            "{}: no 'Why is this bad?'",
            m.code
        );
        assert!(
            doc.contains("## Use instead"),
            "{}: no 'Use instead'",
            m.code
        );
        assert!(!m.summary().is_empty(), "{}: empty summary", m.code);
    }
}
