//! Conformance runner for the kustomize corpus (`../shared/conformance/kustomize`).
//!
//! Usage: `conformance CORPUS_DIR [--report FILE] [--baseline FILE] [--filter SUBSTR] [--verbose]`
//!
//! Each case's `input/` is mounted as the virtual root `/` (so error messages quote `/base/…`
//! as kustomize's in-memory tests do), built with the case's options, and compared
//! byte-for-byte with `expected.yaml`, or matched against the `contains:` / `equals:` /
//! `regexp:` / `kind:` lines of `expected_error.txt`. Prints `kustomize: N passed, M failed`,
//! writes a JSON report, and exits 1 when the pass count is below the baseline.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use krust_kustomize::{BuildOptions, DefaultOrder, ErrorKind, LoadRestrictor, Workspace};
use krust_yaml::Value;

struct Outcome {
    name: String,
    expect_error: bool,
    passed: bool,
    detail: String,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut corpus: Option<PathBuf> = None;
    let mut report = PathBuf::from("conformance-report.json");
    let mut baseline: Option<PathBuf> = None;
    let mut filter = String::new();
    let mut verbose = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--report" => report = args.next().map(PathBuf::from).unwrap_or(report),
            "--baseline" => baseline = args.next().map(PathBuf::from),
            "--filter" => filter = args.next().unwrap_or_default(),
            "--verbose" | "-v" => verbose = true,
            _ => corpus = Some(PathBuf::from(a)),
        }
    }
    let Some(corpus) = corpus else {
        eprintln!(
            "usage: conformance CORPUS_DIR [--report FILE] [--baseline FILE] [--filter S] [-v]"
        );
        return ExitCode::from(2);
    };
    let mut cases: Vec<PathBuf> = match std::fs::read_dir(&corpus) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("case.json").is_file())
            .collect(),
        Err(e) => {
            eprintln!("cannot read corpus {}: {e}", corpus.display());
            return ExitCode::from(2);
        }
    };
    cases.sort();
    let mut outcomes = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if !filter.is_empty() && !name.contains(&filter) {
            continue;
        }
        let o = run_case(case, &name);
        if verbose && !o.passed {
            println!("--- {name}\n{}", o.detail);
        }
        outcomes.push(o);
    }
    let out_total = outcomes.iter().filter(|o| !o.expect_error).count();
    let out_pass = outcomes
        .iter()
        .filter(|o| !o.expect_error && o.passed)
        .count();
    let err_total = outcomes.iter().filter(|o| o.expect_error).count();
    let err_pass = outcomes
        .iter()
        .filter(|o| o.expect_error && o.passed)
        .count();
    let passed = out_pass + err_pass;
    let failed = outcomes.len() - passed;
    let failing: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| o.name.as_str())
        .collect();
    if !failing.is_empty() {
        println!("failing cases:");
        for o in outcomes.iter().filter(|o| !o.passed) {
            let first = o.detail.lines().next().unwrap_or("");
            let first: String = first.chars().take(160).collect();
            println!("  {} — {first}", o.name);
        }
    }
    println!("kustomize outputs: {out_pass}/{out_total} passed");
    println!("kustomize errors: {err_pass}/{err_total} passed");
    println!("kustomize: {passed} passed, {failed} failed");

    let mut json = String::from("{\n  \"suite\": \"kustomize\",\n");
    json.push_str(&format!(
        "  \"passed\": {passed},\n  \"failed\": {failed},\n  \"output_passed\": {out_pass},\n  \"output_total\": {out_total},\n  \"error_passed\": {err_pass},\n  \"error_total\": {err_total},\n  \"cases\": [\n"
    ));
    for (i, o) in outcomes.iter().enumerate() {
        json.push_str(&format!(
            "    {{\"name\": {}, \"expect\": \"{}\", \"passed\": {}, \"detail\": {}}}{}\n",
            json_str(&o.name),
            if o.expect_error { "error" } else { "output" },
            o.passed,
            json_str(&o.detail),
            if i + 1 < outcomes.len() { "," } else { "" }
        ));
    }
    json.push_str("  ]\n}\n");
    if let Err(e) = std::fs::write(&report, json) {
        eprintln!("cannot write report {}: {e}", report.display());
    }
    if let Some(b) = baseline {
        let want: usize = std::fs::read_to_string(&b)
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| {
                        l.trim()
                            .strip_prefix("kustomize:")
                            .map(|v| v.trim().to_string())
                    })
                    .and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok()))
            })
            .unwrap_or(0);
        if filter.is_empty() && passed < want {
            eprintln!(
                "REGRESSION: {passed} passed, baseline is {want} ({})",
                b.display()
            );
            return ExitCode::from(1);
        }
    }
    let _ = failing;
    ExitCode::SUCCESS
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn run_case(case: &Path, name: &str) -> Outcome {
    let fail = |expect_error: bool, detail: String| Outcome {
        name: name.to_string(),
        expect_error,
        passed: false,
        detail,
    };
    let meta = match std::fs::read_to_string(case.join("case.json"))
        .map_err(|e| e.to_string())
        .and_then(|t| krust_yaml::parse_one(&t).map_err(|e| format!("{e:?}")))
    {
        Ok(m) => m,
        Err(e) => return fail(false, format!("bad case.json: {e}")),
    };
    let expect_error = meta.str_at(&["expect"]) == Some("error");
    let build_dir = meta.str_at(&["build_dir"]).unwrap_or(".").to_string();
    let opts = meta.get("options").cloned().unwrap_or(Value::Null);
    let options = BuildOptions {
        load_restrictor: if opts.str_at(&["loadRestrictions"]) == Some("LoadRestrictionsNone") {
            LoadRestrictor::None
        } else {
            LoadRestrictor::RootOnly
        },
        default_order: if opts.str_at(&["reorder"]) != Some("none") {
            DefaultOrder::Legacy
        } else {
            DefaultOrder::Fifo
        },
        add_managed_by_label: matches!(opts.get("addManagedbyLabel"), Some(Value::Bool(true))),
    };
    let input = case.join("input");
    if !input.exists() {
        let _ = std::fs::create_dir_all(&input);
    }
    let ws = Workspace::with_virtual_root(&input);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // kustomize's test harness reports its version as "(test)".
        krust_kustomize::build::build_with_version(&ws, Path::new(&build_dir), &options, "(test)")
            .map(|rm| krust_kustomize::render(&rm))
    }));
    let result = match result {
        Ok(r) => r,
        Err(_) => return fail(expect_error, "PANIC".to_string()),
    };
    if expect_error {
        let spec = std::fs::read_to_string(case.join("expected_error.txt")).unwrap_or_default();
        match result {
            Ok(_) => fail(true, format!("expected an error ({})", spec.trim())),
            Err(e) => {
                for line in spec.lines().filter(|l| !l.trim().is_empty()) {
                    let (how, text) = line.split_once(": ").unwrap_or((line, ""));
                    let ok = match how {
                        "contains" => e.message.contains(text),
                        "equals" => e.message == text,
                        "kind" => match text {
                            "MalformedYAMLError" => e.kind == ErrorKind::MalformedYaml,
                            "MissingKustomizationFile" => {
                                e.kind == ErrorKind::MissingKustomizationFile
                            }
                            _ => false,
                        },
                        "regexp" => simple_regex_match(text, &e.message),
                        _ => false,
                    };
                    if !ok {
                        return fail(
                            true,
                            format!("error mismatch: want {line}\n got: {}", e.message),
                        );
                    }
                }
                Outcome {
                    name: name.to_string(),
                    expect_error,
                    passed: true,
                    detail: e.message,
                }
            }
        }
    } else {
        let want = std::fs::read_to_string(case.join("expected.yaml")).unwrap_or_default();
        match result {
            Err(e) => fail(false, format!("error: {}", e.message)),
            Ok(got) if got == want => Outcome {
                name: name.to_string(),
                expect_error,
                passed: true,
                detail: String::new(),
            },
            Ok(got) => fail(
                false,
                format!("output differs:\n{}", first_diff(&want, &got)),
            ),
        }
    }
}

/// A tiny matcher for the corpus' regexps: literal text with `.*` wildcards.
fn simple_regex_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split(".*").collect();
    let mut pos = 0;
    for p in parts {
        match text[pos..].find(p) {
            Some(i) => pos += i + p.len(),
            None => return false,
        }
    }
    true
}

fn first_diff(want: &str, got: &str) -> String {
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    for i in 0..w.len().max(g.len()) {
        let a = w.get(i).copied().unwrap_or("<eof>");
        let b = g.get(i).copied().unwrap_or("<eof>");
        if a != b {
            return format!("line {}: want {a:?}\n          got  {b:?}", i + 1);
        }
    }
    "trailing difference".to_string()
}
