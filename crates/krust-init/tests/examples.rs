//! Generates every example config into a temp dir and checks that each kustomization
//! directory builds with krust's kustomize engine and, when `kubectl.1.33` is available, to
//! the same bytes as `kubectl kustomize`. Also: determinism and re-run behaviour.

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

/// One example config by file name.
fn example(name: &str) -> PathBuf {
    examples()
        .into_iter()
        .find(|p| p.ends_with(name))
        .unwrap_or_else(|| panic!("examples/{name} is missing"))
}

fn is_argo(cfg: &krust_init::Config) -> bool {
    cfg.cluster.engine == krust_init::config::Engine::Argocd
}

fn env(var: &str) -> Option<String> {
    Some(format!("test-value-of-{var}"))
}

/// Generates `cfg` into `out` with a key in `keydir`; returns the recipient.
fn generate(text: &str, out: &Path, keydir: &Path, force: bool) -> krust_init::Plan {
    let cfg = krust_init::load(text).unwrap();
    let (_, recipient, _) = krust_init::ensure_age_key(&keydir.join("key.agekey"), out).unwrap();
    let r = krust_init::render(&cfg, &recipient);
    let plan = krust_init::plan(&r, out, force);
    krust_init::apply(&r, &plan, out, &recipient, &env).unwrap();
    plan
}

fn kubectl() -> Option<PathBuf> {
    for c in ["kubectl.1.33", "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"] {
        if Command::new(c)
            .arg("version")
            .arg("--client")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(PathBuf::from(c));
        }
    }
    None
}

fn kustomization_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "kustomization.yaml") {
                out.push(d.clone());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn examples_build_identically() {
    let kubectl = kubectl();
    if kubectl.is_none() {
        println!("kubectl.1.33 not found: comparing with krust's engine only");
    }
    let keys = tempfile::tempdir().unwrap();
    for ex in examples() {
        let text = std::fs::read_to_string(&ex).unwrap();
        let out = tempfile::tempdir().unwrap();
        generate(&text, out.path(), keys.path(), false);
        let ws = krust_kustomize::Workspace::new();
        let dirs = kustomization_dirs(out.path());
        let mut identical = 0;
        for d in &dirs {
            let ours = krust_kustomize::build_to_string(&ws, d, &Default::default())
                .unwrap_or_else(|e| panic!("{}: krust build {}: {e}", ex.display(), d.display()));
            if let Some(k) = &kubectl {
                let o = Command::new(k).arg("kustomize").arg(d).output().unwrap();
                assert!(
                    o.status.success(),
                    "{}: kubectl {}: {}",
                    ex.display(),
                    d.display(),
                    String::from_utf8_lossy(&o.stderr)
                );
                let theirs = String::from_utf8(o.stdout).unwrap();
                assert_eq!(
                    ours,
                    theirs,
                    "{}: {} differs from kubectl",
                    ex.display(),
                    d.display()
                );
                identical += 1;
            }
        }
        println!(
            "{}: {} kustomization dirs built, {} identical to kubectl.1.33",
            ex.file_name().unwrap().to_string_lossy(),
            dirs.len(),
            identical
        );
        // No plaintext credential: every *.sops.yaml is encrypted, and the test values of
        // the environment variables appear nowhere in clear.
        for d in kustomization_dirs(out.path()) {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let t = std::fs::read_to_string(e.path()).unwrap_or_default();
                assert!(
                    !t.contains("test-value-of-"),
                    "plaintext secret in {}",
                    e.path().display()
                );
                if e.path().to_string_lossy().ends_with(".sops.yaml") {
                    assert!(
                        t.contains("ENC[AES256_GCM"),
                        "{} not encrypted",
                        e.path().display()
                    );
                }
            }
        }
    }
}

#[test]
fn same_config_same_bytes() {
    for ex in examples() {
        let text = std::fs::read_to_string(&ex).unwrap();
        let cfg = krust_init::load(&text).unwrap();
        let a = krust_init::render(&cfg, "age1example");
        let b = krust_init::render(&krust_init::load(&text).unwrap(), "age1example");
        assert_eq!(a, b, "{}", ex.display());
    }
    // Two runs into two directories: identical trees apart from the encrypted secrets
    // (random data keys and nonces) and their hashes in the manifest.
    let text = std::fs::read_to_string(example("single-node-flux.toml")).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (o1, o2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(&text, o1.path(), keys.path(), false);
    generate(&text, o2.path(), keys.path(), false);
    let cfg = krust_init::load(&text).unwrap();
    let r = krust_init::render(&cfg, "x");
    for path in r.files.keys() {
        let a = std::fs::read(o1.path().join(path)).unwrap();
        let b = std::fs::read(o2.path().join(path)).unwrap();
        assert_eq!(a, b, "{path}");
    }
}

#[test]
fn rerun_keeps_user_edits() {
    let text = std::fs::read_to_string(example("single-node-flux.toml")).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    generate(&text, out.path(), keys.path(), false);
    // Second run: nothing to do.
    let p = generate(&text, out.path(), keys.path(), false);
    let changes: Vec<_> = p
        .changes()
        .filter(|(_, a)| **a != krust_init::Action::KeepSecret)
        .collect();
    assert!(changes.is_empty(), "{changes:?}");
    // The user edits a generated file; the config changes so that file would change too.
    let readme = out.path().join("README.md");
    std::fs::write(&readme, "my notes\n").unwrap();
    let text2 = text.replace("retention = \"7d\"", "retention = \"14d\"");
    assert_ne!(text, text2);
    let p = generate(&text2, out.path(), keys.path(), false);
    assert_eq!(p.actions["README.md"], krust_init::Action::KeepUserEdit);
    assert_eq!(std::fs::read_to_string(&readme).unwrap(), "my notes\n");
    let release = "monitoring/controllers/production/release.yaml";
    assert_eq!(p.actions[release], krust_init::Action::Update);
    assert!(std::fs::read_to_string(out.path().join(release))
        .unwrap()
        .contains("14d"));
    // --force overwrites.
    let p = generate(&text2, out.path(), keys.path(), true);
    assert_eq!(p.actions["README.md"], krust_init::Action::Overwrite);
    assert_ne!(std::fs::read_to_string(&readme).unwrap(), "my notes\n");
}

#[test]
fn secrets_decrypt_with_the_generated_key() {
    let text = std::fs::read_to_string(example("single-node-flux.toml")).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    generate(&text, out.path(), keys.path(), false);
    let key = std::fs::read_to_string(keys.path().join("key.agekey")).unwrap();
    let mut ks = krust_sops::KeySources::new();
    ks.add_age_identities(&key, "test").unwrap();
    let enc = std::fs::read(
        out.path()
            .join("monitoring/controllers/production/grafana-admin.sops.yaml"),
    )
    .unwrap();
    let dec = krust_sops::decrypt(&enc, krust_sops::Format::Yaml, &ks).unwrap();
    let _ = dec;
    let sops = std::fs::read_to_string(out.path().join(".sops.yaml")).unwrap();
    assert!(sops.contains("age1"));
}

#[test]
fn flux_renders_every_environment() {
    let keys = tempfile::tempdir().unwrap();
    for ex in examples() {
        let text = std::fs::read_to_string(&ex).unwrap();
        let cfg = krust_init::load(&text).unwrap();
        if is_argo(&cfg) {
            continue;
        }
        let out = tempfile::tempdir().unwrap();
        generate(&text, out.path(), keys.path(), false);
        let key = std::fs::read_to_string(keys.path().join("key.agekey")).unwrap();
        let mut ks = krust_sops::KeySources::new();
        ks.add_age_identities(&key, "test").unwrap();
        let dec = krust_flux::sops::SopsDecryptor::new(ks);
        for env in &cfg.cluster.environments {
            let opts = krust_flux::RenderOptions {
                root: out.path().to_path_buf(),
                entry: out.path().join("clusters").join(env),
                repo_urls: vec![cfg.git.url.clone()],
                ..Default::default()
            };
            let repo = krust_flux::render(&opts, &krust_flux::KustomizeEngine::new(), &dec);
            // The Linkerd trust anchor is read (valuesFrom) from the Secret cert-manager issues
            // in the cluster; it is never in Git, so the render warns instead of failing.
            let errors: Vec<String> = repo.errors.iter().map(|e| format!("{e:?}")).collect();
            assert!(errors.is_empty(), "{} {env}: {errors:?}", ex.display());
            for k in &repo.kustomizations {
                assert!(
                    matches!(k.status, krust_flux::render::KsStatus::Rendered),
                    "{} {env}: {:?} {:?}",
                    ex.display(),
                    k.ks,
                    k.status
                );
            }
            println!(
                "{} [{env}]: krust flux render: {} Kustomizations, {} HelmReleases, {} objects, {} warnings",
                ex.file_name().unwrap().to_string_lossy(),
                repo.kustomizations.len(),
                repo.helm_releases.len(),
                repo.objects.len(),
                repo.warnings.len()
            );
        }
    }
}

#[test]
fn missing_secret_variable_writes_nothing() {
    let text = std::fs::read_to_string(example("zero-trust.toml")).unwrap();
    let cfg = krust_init::load(&text).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (_, recipient, _) = krust_init::ensure_age_key(&keys.path().join("k"), out.path()).unwrap();
    let r = krust_init::render(&cfg, &recipient);
    let plan = krust_init::plan(&r, out.path(), false);
    let e = krust_init::apply(&r, &plan, out.path(), &recipient, &|_| None).unwrap_err();
    assert!(e.to_string().contains("TS_AUTHKEY"), "{e}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn example_written_by_init_is_valid_and_committed() {
    krust_init::load(krust_init::EXAMPLE).unwrap();
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/single-node-flux.toml"),
    )
    .unwrap();
    assert_eq!(
        committed,
        krust_init::EXAMPLE,
        "examples/single-node-flux.toml is the --example output"
    );
}

/// Pinned charts, pinned images, requests and limits on every workload, no plaintext Secret.
#[test]
fn generated_objects_follow_the_rules() {
    for ex in examples() {
        let cfg = krust_init::load(&std::fs::read_to_string(&ex).unwrap()).unwrap();
        let r = krust_init::render(&cfg, "age1example");
        for (path, text) in &r.files {
            if !path.ends_with(".yaml") || path.starts_with("k3s/") || path == ".sops.yaml" {
                continue;
            }
            for doc in krust_yaml::parse_documents(text).unwrap_or_else(|e| panic!("{path}: {e}")) {
                let doc = doc.value;
                let kind = doc.get("kind").and_then(|k| k.as_str()).unwrap_or("");
                let y = krust_yaml::to_string(&doc);
                match kind {
                    "HelmRelease" => {
                        let v = y
                            .split("version: ")
                            .nth(1)
                            .unwrap_or("")
                            .lines()
                            .next()
                            .unwrap_or("");
                        let v = v.trim_matches('"');
                        assert!(
                            !v.is_empty()
                                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'),
                            "{path}: chart version {v:?} is not exact"
                        );
                    }
                    "Deployment" | "StatefulSet" | "DaemonSet" => {
                        assert!(
                            y.contains("limits:") && y.contains("requests:"),
                            "{path}: {kind} without requests/limits"
                        );
                        for line in y.lines().filter(|l| l.trim_start().starts_with("image: ")) {
                            assert!(
                                !line.ends_with(":latest") && line.contains(':'),
                                "{path}: unpinned {line}"
                            );
                        }
                    }
                    "Application" => {
                        // Every Helm source is pinned to an exact chart version.
                        let app = &doc;
                        let mut sources: Vec<&krust_yaml::Value> =
                            app.get_path(&["spec", "source"]).into_iter().collect();
                        if let Some(list) = app
                            .get_path(&["spec", "sources"])
                            .and_then(krust_yaml::Value::as_seq)
                        {
                            sources.extend(list.iter());
                        }
                        assert!(!sources.is_empty(), "{path}: Application without a source");
                        for src in sources {
                            if src.str_at(&["chart"]).is_none() {
                                continue;
                            }
                            let v = src.str_at(&["targetRevision"]).unwrap_or("");
                            let v = v.trim_start_matches('v');
                            assert!(
                                v.split('.').count() == 3
                                    && v.split('.')
                                        .all(|p| !p.is_empty()
                                            && p.chars().all(|c| c.is_ascii_digit())),
                                "{path}: chart version {v:?} is not exact"
                            );
                        }
                    }
                    "Secret" | "SopsSecret" => panic!("{path}: plaintext {kind} rendered"),
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn krust_check_reports_zero_findings() {
    let keys = tempfile::tempdir().unwrap();
    for ex in examples() {
        let text = std::fs::read_to_string(&ex).unwrap();
        let out = tempfile::tempdir().unwrap();
        generate(&text, out.path(), keys.path(), false);
        let input = krust_check::input::load(out.path()).unwrap();
        let report =
            krust_check::check(&input, &krust_check::Config::default(), &Default::default())
                .unwrap();
        let findings: Vec<String> = report.findings.iter().map(|f| format!("{f:?}")).collect();
        println!(
            "{}: krust check: {} objects, {} findings",
            ex.file_name().unwrap().to_string_lossy(),
            report.objects,
            findings.len()
        );
        assert!(findings.is_empty(), "{}: {findings:#?}", ex.display());
    }
}

/// Every environment of the Argo CD examples renders with krust's Argo CD renderer: the root
/// Application covers `clusters/<env>`, every layer Application renders objects, every chart is
/// an Application with a Helm source, and no Application fails.
#[test]
fn argo_renders_every_environment() {
    let keys = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for ex in examples() {
        let text = std::fs::read_to_string(&ex).unwrap();
        let cfg = krust_init::load(&text).unwrap();
        if !is_argo(&cfg) {
            continue;
        }
        seen += 1;
        let out = tempfile::tempdir().unwrap();
        generate(&text, out.path(), keys.path(), false);
        for env in &cfg.cluster.environments {
            let opts = krust_flux::argo::ArgoOptions {
                root: out.path().to_path_buf(),
                entry: out.path().join("clusters").join(env),
                repo_urls: vec![cfg.git.url.clone()],
                sources: vec![],
            };
            let r = krust_flux::argo::render_argo(&opts, &krust_flux::KustomizeEngine::new());
            let errors: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
            assert!(errors.is_empty(), "{} {env}: {errors:#?}", ex.display());
            let names: Vec<String> = r.apps.iter().map(|a| a.name.name.clone()).collect();
            for want in [
                "root",
                "argocd",
                "infra-controllers",
                "infra-configs",
                "apps",
                "monitoring",
            ] {
                assert!(
                    names.iter().any(|n| n == want),
                    "{env}: no Application {want}: {names:?}"
                );
            }
            for want in [
                "sops-secrets-operator",
                "cert-manager",
                "kyverno",
                "longhorn",
                "ingress-nginx",
                "kube-prometheus-stack",
            ] {
                let app = r
                    .apps
                    .iter()
                    .find(|a| a.name.name == want)
                    .unwrap_or_else(|| panic!("{env}: no Application {want}: {names:?}"));
                assert!(
                    app.sources.iter().any(|s| s.chart.is_some()),
                    "{env}: {want} has no Helm source"
                );
            }
            for layer in [
                "root",
                "infra-controllers",
                "infra-configs",
                "apps",
                "monitoring",
            ] {
                let app = r.apps.iter().find(|a| a.name.name == layer).unwrap();
                assert!(app.object_count > 0, "{env}: {layer} rendered nothing");
                assert!(
                    app.sources.iter().all(|s| s.local_dir.is_some()),
                    "{env}: {layer} does not read this repository"
                );
            }
            // The root Application syncs the entry directory itself (app-of-apps).
            assert!(r.objects.iter().all(|o| o.application.is_some()));
            let waves: Vec<(String, i64)> = r
                .apps
                .iter()
                .map(|a| (a.name.name.clone(), a.sync_wave))
                .collect();
            let wave = |n: &str| waves.iter().find(|(a, _)| a == n).map(|w| w.1);
            assert!(wave("infra-controllers") < wave("infra-configs"));
            assert!(wave("infra-configs") < wave("apps"));
            assert!(wave("infra-configs") < wave("monitoring"));
            let sops = r
                .objects
                .iter()
                .filter(|o| o.value.str_at(&["kind"]) == Some("SopsSecret"))
                .count();
            assert_eq!(
                sops, 3,
                "{env}: cloudflare, tailscale and grafana SopsSecrets"
            );
            println!(
                "{} [{env}]: krust argo: {} Applications ({} with Helm sources), {} objects, {} SopsSecrets, 0 errors",
                ex.file_name().unwrap().to_string_lossy(),
                r.apps.len(),
                r.apps.iter().filter(|a| a.sources.iter().any(|s| s.chart.is_some())).count(),
                r.objects.len(),
                sops
            );
        }
    }
    assert!(seen > 0, "no Argo CD example under examples/");
}

/// The Argo CD SopsSecrets decrypt with the generated key into the operator's format, and a
/// re-run leaves the repository alone.
#[test]
fn argo_sops_secrets_decrypt() {
    let text = std::fs::read_to_string(example("argocd-staging-production.toml")).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    generate(&text, out.path(), keys.path(), false);
    // A second run changes nothing and keeps the encrypted secrets.
    let p = generate(&text, out.path(), keys.path(), false);
    let changes: Vec<_> = p
        .changes()
        .filter(|(_, a)| **a != krust_init::Action::KeepSecret)
        .collect();
    assert!(changes.is_empty(), "{changes:?}");
    let key = std::fs::read_to_string(keys.path().join("key.agekey")).unwrap();
    let mut ks = krust_sops::KeySources::new();
    ks.add_age_identities(&key, "test").unwrap();
    for (path, entry) in [
        (
            "monitoring/controllers/staging/grafana-admin.sops.yaml",
            "admin-password",
        ),
        (
            "infrastructure/controllers/production/cloudflare-api-token.sops.yaml",
            "api-token",
        ),
        (
            "infrastructure/controllers/staging/tailscale-auth.sops.yaml",
            "TS_AUTHKEY",
        ),
    ] {
        let enc = std::fs::read(out.path().join(path)).unwrap();
        let enc_text = String::from_utf8_lossy(&enc);
        assert!(enc_text.contains("kind: SopsSecret"), "{path}");
        assert!(!enc_text.contains("test-value-of-"), "{path}: plaintext");
        let dec = krust_sops::decrypt(&enc, krust_sops::Format::Yaml, &ks).unwrap();
        assert!(dec.mac_ok, "{path}: MAC");
        let doc = krust_yaml::parse_one(&String::from_utf8(dec.plaintext).unwrap()).unwrap();
        let tmpl = doc
            .get_path(&["spec", "secretTemplates"])
            .and_then(krust_yaml::Value::as_seq)
            .and_then(|s| s.first())
            .unwrap_or_else(|| panic!("{path}: no secretTemplates"));
        assert_eq!(tmpl.str_at(&["name"]), doc.str_at(&["metadata", "name"]));
        let v = tmpl.str_at(&["stringData", entry]).unwrap_or("");
        assert!(
            !v.is_empty() && !v.starts_with("ENC["),
            "{path}: {entry} = {v:?}"
        );
    }
}
