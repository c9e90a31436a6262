//! Remote resources: files fetched over HTTP(S) and bases cloned from git repositories.
//!
//! kustomize accepts two kinds of remote references wherever it reads a file or a base:
//!
//! * an `http://` / `https://` URL of a file, fetched with a GET;
//! * a git repository URL in kustomize's "repo spec" syntax (`github.com/org/repo//path?ref=v1`,
//!   `https://host/org/repo.git/path`, `git@host:org/repo`, `ssh://…`, `file:///abs/repo`, Azure's
//!   `…/_git/repo/…`), cloned shallowly with the `git` program (as kustomize does), after which
//!   the path inside the repository is built like a local base.
//!
//! A [`Remote`] holds the network policy and caches every fetch and clone for the lifetime of
//! the [`Workspace`](crate::Workspace) that owns it, so a base referenced from many overlays is
//! cloned once. With [`Remote::offline`] every network reference fails at once with a message
//! naming the URL; `file://` repositories are local and stay allowed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// kustomize's default time limit for each git command.
const DEFAULT_GIT_TIMEOUT: Duration = Duration::from_secs(27);
/// Time limit of one HTTP GET (kustomize has none; a hung server should not hang a build).
const HTTP_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest remote file krust reads (a guard against a URL that streams forever).
const MAX_HTTP_BODY: u64 = 64 << 20;

/// A git repository reference in kustomize's repo-spec syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// The reference as written.
    pub raw: String,
    /// Scheme, user and host, e.g. `https://github.com/` or `git@github.com:`.
    pub host: String,
    /// Path of the repository on the host, e.g. `kubernetes-sigs/kustomize`.
    pub repo_path: String,
    /// Directory inside the repository to build (may be empty).
    pub kust_root: String,
    /// Branch, tag or commit (`?ref=` or `?version=`); empty means the remote's HEAD.
    pub git_ref: String,
    /// Time limit of each git command (`?timeout=`).
    pub timeout: Duration,
    /// Whether submodules are cloned too (`?submodules=`, default true).
    pub submodules: bool,
}

impl RepoSpec {
    /// Parses a repo spec; `Err` explains why `s` is not one (it is then a local path or a
    /// plain URL).
    pub fn parse(s: &str) -> Result<RepoSpec, String> {
        if s.starts_with('/') {
            return Err(format!("uri looks like abs path: {s}"));
        }
        let (rest, query) = s.split_once('?').unwrap_or((s, ""));
        let (git_ref, timeout, submodules) = parse_query(query);
        let (host, path) = split_host(rest)?;
        let whole_path = host.starts_with(FILE_SCHEME);
        let (repo_path, kust_root) = split_repo_path(path, whole_path)?;
        Ok(RepoSpec {
            raw: s.to_string(),
            host,
            repo_path,
            kust_root,
            git_ref,
            timeout,
            submodules,
        })
    }

    /// The URL handed to `git fetch`.
    pub fn clone_url(&self) -> String {
        format!("{}{}", self.host, self.repo_path)
    }

    /// True when fetching needs the network (everything but `file://`).
    pub fn needs_network(&self) -> bool {
        !self.host.starts_with(FILE_SCHEME)
    }

    /// The ref fetched: the one asked for, or the remote's `HEAD`.
    pub fn fetch_ref(&self) -> &str {
        if self.git_ref.is_empty() {
            "HEAD"
        } else {
            &self.git_ref
        }
    }
}

const FILE_SCHEME: &str = "file://";
const SCHEMES: [&str; 4] = ["ssh://", "https://", "http://", FILE_SCHEME];

/// `ref`/`version`, `timeout` and `submodules` from a URL query (bad values fall back to the
/// defaults, as kustomize does).
fn parse_query(query: &str) -> (String, Duration, bool) {
    let mut version = String::new();
    let mut git_ref = String::new();
    let mut timeout = DEFAULT_GIT_TIMEOUT;
    let mut submodules = true;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value);
        // Only the first occurrence of a key counts (Go's `url.Values.Get`).
        match key {
            "ref" if git_ref.is_empty() => git_ref = value,
            "version" if version.is_empty() => version = value,
            "timeout" => {
                if let Some(d) = parse_timeout(&value) {
                    timeout = d;
                }
            }
            "submodules" => match value.as_str() {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => submodules = true,
                "0" | "f" | "F" | "false" | "FALSE" | "False" => submodules = false,
                _ => {}
            },
            _ => {}
        }
    }
    if git_ref.is_empty() {
        git_ref = version;
    }
    (git_ref, timeout, submodules)
}

/// Seconds (`61`) or a Go-style duration with one unit (`61s`, `2m`, `1h`, `500ms`).
fn parse_timeout(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.parse::<u64>() {
        return (secs > 0).then(|| Duration::from_secs(secs));
    }
    let split = v.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    (secs > 0.0 && secs.is_finite()).then(|| Duration::from_secs_f64(secs))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                    Some(Ok(b)) => {
                        out.push(b);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Splits `scheme user@ host[/:]` from the path, following kustomize's rules: a scheme or a
/// user is required unless the host is github.com; scp-style `host:path` needs a user (or
/// github.com); github.com URLs are normalised to `https://github.com/` or `git@github.com:`.
fn split_host(s: &str) -> Result<(String, &str), String> {
    let s = strip_prefix_ignore_case(s, "git::").unwrap_or(s);
    let (scheme, s) = SCHEMES
        .iter()
        .find_map(|p| strip_prefix_ignore_case(s, p).map(|rest| (*p, rest)))
        .unwrap_or(("", s));
    let after_scheme = s;
    let (user, s) = split_user(s);
    let github = s.get(..11).is_some_and(|h| {
        h.eq_ignore_ascii_case("github.com/") || h.eq_ignore_ascii_case("github.com:")
    });
    let scp = scheme.is_empty() && (!user.is_empty() || github);
    if scheme.is_empty() && !scp {
        return Err("failed to parse scheme".to_string());
    }
    if scheme == FILE_SCHEME {
        // Everything after file:// (a would-be user included) is a path on this machine.
        return Ok((scheme.to_string(), after_scheme));
    }
    let mut sep = s.find('/');
    if scp {
        if let Some(colon) = s.find(':') {
            if colon > 0 && sep.is_none_or(|slash| colon < slash) {
                sep = Some(colon);
            }
        }
    }
    let (host, rest) = match sep {
        Some(i) => (&s[..=i], &s[i + 1..]),
        None => (s, ""),
    };
    let (scheme, user, host) = if github {
        if scheme == "ssh://" || !user.is_empty() {
            ("", user, "github.com:")
        } else {
            ("https://", "", "github.com/")
        }
    } else {
        (scheme, user, host)
    };
    if host.is_empty() {
        return Err("failed to parse host segment".to_string());
    }
    Ok((format!("{scheme}{user}{host}"), rest))
}

/// `name@` at the start (a git/ssh user).
fn split_user(s: &str) -> (&str, &str) {
    let bytes = s.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return ("", s);
    }
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-'))
        .unwrap_or(bytes.len());
    if bytes.get(end) == Some(&b'@') {
        (&s[..=end], &s[end + 1..])
    } else {
        ("", s)
    }
}

/// Splits the repository path from the directory inside it, by explicit markers (`_git/`,
/// `//`, `.git`) or else by taking `org/repo` (all of it for `file://`).
fn split_repo_path(path: &str, whole_path: bool) -> Result<(String, String), String> {
    let split = if let Some(i) = path.find("_git/") {
        let (git_root, after) = path.split_at(i + 5);
        let (repo, sub) = after.split_once('/').unwrap_or((after, ""));
        Some((format!("{git_root}{repo}"), sub.to_string()))
    } else if let Some(i) = path.find("//") {
        Some((path[..i].to_string(), path[i + 2..].to_string()))
    } else if let Some(i) = path.find(".git") {
        Some((path[..i + 4].to_string(), path[i + 4..].to_string()))
    } else if whole_path {
        Some((path.to_string(), String::new()))
    } else {
        let segments: Vec<&str> = path.split('/').collect();
        (segments.len() >= 2).then(|| (segments[..2].join("/"), segments[2..].join("/")))
    };
    let Some((repo, sub)) = split.filter(|(repo, _)| !repo.is_empty()) else {
        return Err("failed to parse repo path segment".to_string());
    };
    let cleaned = crate::loader::clean(Path::new(sub.trim_start_matches('/')));
    if cleaned.components().next() == Some(std::path::Component::ParentDir) {
        return Err(format!("url path exits repo: {path}"));
    }
    Ok((repo, sub.trim_start_matches('/').to_string()))
}

/// True for `http://` and `https://` URLs (kustomize's `IsRemoteFile`).
pub fn is_remote_file(path: &str) -> bool {
    strip_prefix_ignore_case(path, "https://").is_some()
        || strip_prefix_ignore_case(path, "http://").is_some()
}

/// Why a remote reference could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// `--offline` is in force.
    #[error("'{url}' is remote and krust runs offline (--offline); vendor it or drop --offline")]
    Offline {
        /// The reference.
        url: String,
    },
    /// The server answered with a non-2xx status (kustomize's `ErrHTTP`).
    #[error("HTTP Error: status code {status} ({reason})")]
    Status {
        /// HTTP status code.
        status: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// A non-2xx answer for a URL that is also a repo spec (kustomize then tries git).
    #[error("URL is a git repository")]
    IsRepository,
    /// The request itself failed (DNS, connection, TLS, time-out …).
    #[error("fetching '{url}': {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// A git command failed or timed out.
    #[error("{0}")]
    Git(String),
}

impl RemoteError {
    /// True for kustomize's `ErrHTTP` (a definite answer: the build stops here instead of
    /// trying the reference as a base).
    pub fn is_http_status(&self) -> bool {
        matches!(
            self,
            RemoteError::Status { .. } | RemoteError::Offline { .. }
        )
    }
}

/// A repository cloned into a temporary directory (removed when the workspace is dropped).
#[derive(Debug)]
pub struct Clone {
    dir: tempfile::TempDir,
}

impl Clone {
    /// The directory holding the checkout.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

type CloneSlot = Arc<OnceLock<Result<Arc<Clone>, RemoteError>>>;
type FetchSlot = Arc<OnceLock<Result<Arc<Vec<u8>>, RemoteError>>>;

/// Network policy plus the caches of fetched files and cloned repositories.
#[derive(Debug, Default)]
pub struct Remote {
    offline: bool,
    files: Mutex<HashMap<String, FetchSlot>>,
    clones: Mutex<HashMap<(String, String, bool), CloneSlot>>,
}

impl Remote {
    /// A remote accessor that may use the network.
    pub fn online() -> Remote {
        Remote::default()
    }

    /// A remote accessor that refuses every network reference.
    pub fn offline() -> Remote {
        Remote {
            offline: true,
            ..Remote::default()
        }
    }

    /// True when network references are refused.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// GETs `url` (once per workspace).
    pub fn fetch_file(&self, url: &str) -> Result<Arc<Vec<u8>>, RemoteError> {
        if self.offline {
            return Err(RemoteError::Offline {
                url: url.to_string(),
            });
        }
        let slot = {
            let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(files.entry(url.to_string()).or_default())
        };
        slot.get_or_init(|| http_get(url).map(Arc::new)).clone()
    }

    /// Clones `spec`'s repository at its ref (once per workspace and repository/ref).
    pub fn clone_repo(&self, spec: &RepoSpec) -> Result<Arc<Clone>, RemoteError> {
        if self.offline && spec.needs_network() {
            return Err(RemoteError::Offline {
                url: spec.raw.clone(),
            });
        }
        let key = (spec.clone_url(), spec.git_ref.clone(), spec.submodules);
        let slot = {
            let mut clones = self.clones.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(clones.entry(key).or_default())
        };
        slot.get_or_init(|| git_clone(spec).map(Arc::new)).clone()
    }
}

fn http_get(url: &str) -> Result<Vec<u8>, RemoteError> {
    use std::io::Read;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(HTTP_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let transport = |e: &dyn std::fmt::Display| RemoteError::Transport {
        url: url.to_string(),
        reason: e.to_string(),
    };
    let response = agent.get(url).call().map_err(|e| transport(&e))?;
    let status = response.status();
    if !status.is_success() {
        if RepoSpec::parse(url).is_ok() {
            return Err(RemoteError::IsRepository);
        }
        return Err(RemoteError::Status {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
        });
    }
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(MAX_HTTP_BODY)
        .read_to_end(&mut body)
        .map_err(|e| transport(&e))?;
    Ok(body)
}

/// Clones like kustomize: `git init`, `git fetch --depth=1 URL REF`, `git checkout FETCH_HEAD`,
/// then submodules; each command under the spec's time limit.
fn git_clone(spec: &RepoSpec) -> Result<Clone, RemoteError> {
    let dir = tempfile::Builder::new()
        .prefix("krust-git-")
        .tempdir()
        .map_err(|e| RemoteError::Git(format!("cannot create a directory to clone into: {e}")))?;
    let url = spec.clone_url();
    let run = |args: &[&str]| run_git(dir.path(), args, spec.timeout);
    run(&["init", "--quiet"])?;
    run(&["remote", "add", "origin", &url])?;
    run(&["fetch", "--depth=1", &url, spec.fetch_ref()])?;
    run(&["checkout", "--quiet", "FETCH_HEAD"])?;
    if spec.submodules {
        run(&["submodule", "update", "--init", "--recursive"])?;
    }
    Ok(Clone { dir })
}

fn run_git(dir: &Path, args: &[&str], timeout: Duration) -> Result<(), RemoteError> {
    let shown = format!("git {}", args.join(" "));
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        // Never wait for a password prompt: a build is not interactive.
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RemoteError::Git(format!("no 'git' program on path: {e}")))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RemoteError::Git(format!(
                    "failed to run '{shown}': timed out after {}s (raise it with ?timeout=)",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(RemoteError::Git(format!("failed to run '{shown}': {e}"))),
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|e| RemoteError::Git(format!("failed to run '{shown}': {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if text.is_empty() {
        text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    }
    Err(RemoteError::Git(format!(
        "failed to run '{shown}': {}: {}",
        output.status,
        text.replace('\n', "; ")
    )))
}

/// The directory of `spec` inside its clone, checked to stay inside it.
pub fn root_in_clone(clone: &Clone, spec: &RepoSpec) -> Result<PathBuf, String> {
    let dir = clone.path().join(&spec.kust_root);
    let real = dir
        .canonicalize()
        .map_err(|e| format!("'{}': {e}", dir.display()))?;
    let base = clone
        .path()
        .canonicalize()
        .map_err(|e| format!("'{}': {e}", clone.path().display()))?;
    if real.is_file() {
        return Err(format!(
            "'{}' refers to file '{}'; expecting directory",
            dir.display(),
            real.display()
        ));
    }
    if !real.starts_with(&base) {
        return Err(format!(
            "\"{}\" refers to directory outside of repo \"{}\"",
            dir.display(),
            base.display()
        ));
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (String, String, String, String) {
        let r = RepoSpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (r.host, r.repo_path, r.kust_root, r.git_ref)
    }

    fn p(h: &str, r: &str, k: &str, g: &str) -> (String, String, String, String) {
        (h.into(), r.into(), k.into(), g.into())
    }

    #[test]
    fn github_shorthand_takes_org_and_repo() {
        assert_eq!(
            parts("github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v1.0.6"),
            p(
                "https://github.com/",
                "kubernetes-sigs/kustomize",
                "examples/multibases",
                "v1.0.6"
            )
        );
    }

    #[test]
    fn double_slash_and_git_suffix_mark_the_repo() {
        assert_eq!(
            parts("https://gitlab.example/group/sub/repo//deploy/prod?version=v2"),
            p(
                "https://gitlab.example/",
                "group/sub/repo",
                "deploy/prod",
                "v2"
            )
        );
        assert_eq!(
            parts("https://host.example/org/repo.git/base"),
            p("https://host.example/", "org/repo.git", "base", "")
        );
    }

    #[test]
    fn ref_wins_over_version() {
        assert_eq!(parts("github.com/a/b?version=x&ref=y").3, "y");
    }

    #[test]
    fn scp_and_ssh_forms() {
        assert_eq!(
            parts("git@github.com:org/repo/dir"),
            p("git@github.com:", "org/repo", "dir", "")
        );
        assert_eq!(
            parts("ssh://git@github.com/org/repo"),
            p("git@github.com:", "org/repo", "", "")
        );
        assert_eq!(
            parts("git@gitlab.example:team/repo.git//app"),
            p("git@gitlab.example:", "team/repo.git", "app", "")
        );
        assert_eq!(
            parts("ssh://me@host.example/org/repo"),
            p("ssh://me@host.example/", "org/repo", "", "")
        );
    }

    #[test]
    fn azure_git_marker() {
        assert_eq!(
            parts("https://dev.azure.com/org/project/_git/repo/path/to/app"),
            p(
                "https://dev.azure.com/",
                "org/project/_git/repo",
                "path/to/app",
                ""
            )
        );
    }

    #[test]
    fn file_scheme_takes_the_whole_path() {
        assert_eq!(
            parts("file:///srv/git/repo?ref=main"),
            p("file://", "/srv/git/repo", "", "main")
        );
        assert_eq!(
            parts("file:///srv/git/repo//overlay"),
            p("file://", "/srv/git/repo", "overlay", "")
        );
    }

    #[test]
    fn local_paths_are_not_repo_specs() {
        for s in [
            "base",
            "../base",
            "deploy.yaml",
            "/abs/path",
            "https://example.com/file.yaml",
            "github.com/only-org",
        ] {
            assert!(RepoSpec::parse(s).is_err(), "{s} parsed as a repo spec");
        }
    }

    #[test]
    fn paths_leaving_the_repo_are_refused() {
        let err = RepoSpec::parse("github.com/org/repo/../../etc").unwrap_err();
        assert!(err.contains("exits repo"), "{err}");
    }

    /// Clone URL and directory for URL shapes seen in the wild (expectations checked against
    /// kustomize's repo-spec parser).
    #[test]
    fn clone_urls_of_common_hosts() {
        let cases = [
            (
                "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir?ref=b",
                "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo",
                "somedir",
            ),
            (
                "http://github.com/someorg/somerepo/somedir",
                "https://github.com/someorg/somerepo",
                "somedir",
            ),
            (
                "http://github.com/someorg/somerepo.git/somedir",
                "https://github.com/someorg/somerepo.git",
                "somedir",
            ),
            (
                "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git?ref=v0.1.0",
                "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git",
                "",
            ),
            (
                "git@bitbucket.org/company/project.git//path?ref=branch",
                "git@bitbucket.org/company/project.git",
                "path",
            ),
            (
                "ssh://git@bitbucket.org/company/project.git//path?ref=branch",
                "ssh://git@bitbucket.org/company/project.git",
                "path",
            ),
            (
                "git::https://itfs.mycompany.com/collection/project/_git/somerepos",
                "https://itfs.mycompany.com/collection/project/_git/somerepos",
                "",
            ),
            (
                "ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somepath",
                "ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo",
                "somepath",
            ),
            (
                "git@github.com/someorg/somerepo/somepath",
                "git@github.com:someorg/somerepo",
                "somepath",
            ),
            (
                "file://a/b/c/someRepo.git/somepath?ref=someBranch",
                "file://a/b/c/someRepo.git",
                "somepath",
            ),
            (
                "file://a/b/c/someRepo?ref=someBranch",
                "file://a/b/c/someRepo",
                "",
            ),
            (
                "https://example.org/path/to/repo//examples/multibases/dev",
                "https://example.org/path/to/repo",
                "examples/multibases/dev",
            ),
        ];
        for (input, url, dir) in cases {
            let spec = RepoSpec::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (spec.clone_url().as_str(), spec.kust_root.as_str()),
                (url, dir),
                "{input}"
            );
        }
    }

    #[test]
    fn query_options() {
        let r = RepoSpec::parse("github.com/a/b?timeout=61&submodules=false").unwrap();
        assert_eq!(r.timeout, Duration::from_secs(61));
        assert!(!r.submodules);
        let r = RepoSpec::parse("github.com/a/b?timeout=2m").unwrap();
        assert_eq!(r.timeout, Duration::from_secs(120));
        let r = RepoSpec::parse("github.com/a/b?timeout=nonsense").unwrap();
        assert_eq!(r.timeout, DEFAULT_GIT_TIMEOUT);
        assert!(r.submodules);
    }

    #[test]
    fn offline_refuses_network_but_not_file_repos() {
        let remote = Remote::offline();
        let err = remote.fetch_file("https://example.com/x.yaml").unwrap_err();
        assert!(err.to_string().contains("https://example.com/x.yaml"));
        let spec = RepoSpec::parse("github.com/org/repo").unwrap();
        assert!(matches!(
            remote.clone_repo(&spec),
            Err(RemoteError::Offline { .. })
        ));
        let local = RepoSpec::parse("file:///nonexistent-krust-repo").unwrap();
        assert!(matches!(
            remote.clone_repo(&local),
            Err(RemoteError::Git(_))
        ));
    }
}
