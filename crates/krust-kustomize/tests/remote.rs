//! Remote resources: files served over HTTP by a server on loopback, and bases cloned from local
//! git repositories through `file://` URLs. Where `kubectl.1.33` is installed the output is
//! compared with `kubectl.1.33 kustomize` on the same tree (which fetches and clones the same way).
//!
//! Git cases are skipped, with a printed reason, when `git` is not installed.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use krust_kustomize::{build_to_string, BuildOptions, ErrorKind, Workspace};

const PEER: &str = "kubectl.1.33";
static COUNTER: AtomicUsize = AtomicUsize::new(0);

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote-cm\ndata:\n  a: b\n";

fn scratch(name: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let root = std::env::temp_dir().join(format!("krust-remote-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    root
}

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// Serves `routes` (path → (status, body)) on a loopback port until the test process ends.
fn serve(routes: Vec<(&'static str, u16, &'static str)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            let (status, body) = routes
                .iter()
                .find(|(p, _, _)| *p == path)
                .map(|(_, s, b)| (*s, *b))
                .unwrap_or((404, ""));
            let reason = match status {
                200 => "OK",
                404 => "Not Found",
                _ => "Internal Server Error",
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

fn peer(dir: &Path) -> Option<Result<String, String>> {
    let out = Command::new(PEER).arg("kustomize").arg(dir).output().ok()?;
    Some(if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

fn krust(dir: &Path, offline: bool) -> Result<String, krust_kustomize::Error> {
    let ws = Workspace::new().offline(offline);
    build_to_string(&ws, dir, &BuildOptions::default())
}

/// krust's output, checked against kubectl.1.33 when it is installed.
fn build_and_compare(dir: &Path) -> String {
    let got = krust(dir, false).unwrap_or_else(|e| panic!("krust: {e}"));
    match peer(dir) {
        None => eprintln!("{PEER} is not installed: comparing krust's output to the fixture only"),
        Some(Ok(want)) => assert_eq!(got, want, "krust differs from {PEER}"),
        Some(Err(e)) => panic!("{PEER} failed: {e}"),
    }
    got
}

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=krust",
            "-c",
            "user.email=krust@example.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A git repository with `base/` (a ConfigMap) committed and tagged `v1`, then changed on HEAD.
fn repo() -> PathBuf {
    let repo = scratch("repo");
    git(&repo, &["init", "--quiet", "-b", "main"]);
    write(&repo, "base/kustomization.yaml", "resources:\n- cm.yaml\n");
    write(&repo, "base/cm.yaml", CM);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "v1"]);
    git(&repo, &["tag", "v1"]);
    write(&repo, "base/cm.yaml", &CM.replace("a: b", "a: head"));
    git(&repo, &["commit", "--quiet", "-am", "head"]);
    repo
}

#[test]
fn http_file_resource_is_fetched() {
    let url = serve(vec![("/cm.yaml", 200, CM)]);
    let dir = scratch("http");
    write(
        &dir,
        "kustomization.yaml",
        &format!("namePrefix: x-\nresources:\n- {url}/cm.yaml\n"),
    );
    let out = build_and_compare(&dir);
    assert!(out.contains("name: x-remote-cm"), "{out}");
}

#[test]
fn http_error_status_is_reported_with_the_url() {
    let url = serve(vec![]);
    let dir = scratch("http404");
    let res = format!("{url}/segments-too-few");
    write(
        &dir,
        "kustomization.yaml",
        &format!("resources:\n- {res}\n"),
    );
    let err = krust(&dir, false).unwrap_err();
    assert_eq!(err.kind, ErrorKind::RemoteHttp);
    assert_eq!(
        err.message,
        format!(
            "accumulating resources: accumulating resources from '{res}': \
             HTTP Error: status code 404 (Not Found)"
        )
    );
    if let Some(Err(peer_err)) = peer(&dir) {
        assert!(peer_err.contains(&err.message), "{PEER} said: {peer_err}");
    }
}

#[test]
fn offline_refuses_remote_files_and_repositories_at_once() {
    let dir = scratch("offline");
    for (res, needle) in [
        (
            "https://example.invalid/cm.yaml",
            "https://example.invalid/cm.yaml",
        ),
        (
            "github.com/example/repo//base?ref=v1",
            "github.com/example/repo//base?ref=v1",
        ),
        (
            "https://github.com/example/repo//base",
            "https://github.com/example/repo//base",
        ),
    ] {
        write(
            &dir,
            "kustomization.yaml",
            &format!("resources:\n- {res}\n"),
        );
        let started = std::time::Instant::now();
        let err = krust(&dir, true).unwrap_err();
        assert!(
            err.message.contains(needle) && err.message.contains("--offline"),
            "{res}: {}",
            err.message
        );
        assert!(
            matches!(err.kind, ErrorKind::RemoteHttp | ErrorKind::Remote),
            "{res}: {:?}",
            err.kind
        );
        assert!(started.elapsed().as_secs() < 5, "{res}: not immediate");
    }
}

#[test]
fn unreachable_host_names_the_url() {
    let dir = scratch("unreachable");
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    write(
        &dir,
        "kustomization.yaml",
        "resources:\n- http://127.0.0.1:9/cm.yaml\n",
    );
    let err = krust(&dir, false).unwrap_err();
    assert!(
        err.message
            .contains("fetching 'http://127.0.0.1:9/cm.yaml'"),
        "{}",
        err.message
    );
}

#[test]
fn git_base_at_a_tag_with_origin_annotations() {
    if !git_available() {
        eprintln!("skipping: git is not installed");
        return;
    }
    let repo = repo();
    let dir = scratch("git-overlay");
    write(
        &dir,
        "kustomization.yaml",
        &format!(
            "buildMetadata: [originAnnotations]\nnameSuffix: -prod\nresources:\n- file://{}//base?ref=v1\n",
            repo.display()
        ),
    );
    let out = build_and_compare(&dir);
    assert!(out.contains("a: b"), "the tag's content, not HEAD's: {out}");
    assert!(
        out.contains(&format!("repo: file://{}", repo.display())),
        "{out}"
    );
    assert!(out.contains("ref: v1"), "{out}");
}

#[test]
fn git_base_at_head_and_offline_allows_file_repositories() {
    if !git_available() {
        eprintln!("skipping: git is not installed");
        return;
    }
    let repo = repo();
    let dir = scratch("git-head");
    write(
        &dir,
        "kustomization.yaml",
        &format!("resources:\n- file://{}//base\n", repo.display()),
    );
    let out = build_and_compare(&dir);
    assert!(out.contains("a: head"), "{out}");
    let offline = krust(&dir, true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(offline, out);
}

#[test]
fn missing_git_ref_is_a_named_error() {
    if !git_available() {
        eprintln!("skipping: git is not installed");
        return;
    }
    let repo = repo();
    let dir = scratch("git-badref");
    let res = format!("file://{}//base?ref=no-such-tag", repo.display());
    write(
        &dir,
        "kustomization.yaml",
        &format!("resources:\n- {res}\n"),
    );
    let err = krust(&dir, false).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Remote);
    assert!(
        err.message
            .contains(&format!("fetching git repository '{res}'"))
            && err.message.contains("git fetch --depth=1"),
        "{}",
        err.message
    );
}

#[test]
fn git_base_path_must_stay_inside_the_clone() {
    if !git_available() {
        eprintln!("skipping: git is not installed");
        return;
    }
    let repo = repo();
    let dir = scratch("git-file");
    write(
        &dir,
        "kustomization.yaml",
        &format!("resources:\n- file://{}//base/cm.yaml\n", repo.display()),
    );
    let err = krust(&dir, false).unwrap_err();
    assert!(
        err.message.contains("expecting directory"),
        "{}",
        err.message
    );
}
