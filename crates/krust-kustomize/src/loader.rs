//! Reading files for a build: the file system view, the load restrictor, and the parsed-file
//! cache.
//!
//! Paths inside a build are *logical* absolute paths. Normally a logical path is the real path on
//! disk. A [`Workspace`] can instead mount a directory as a *virtual root*: the directory then
//! appears as `/`, and error messages quote paths such as `/base/deployment.yaml`, exactly as
//! kustomize's in-memory file system (used by its own tests) does.
//!
//! The [`Workspace`] caches parsed resource files by real path, so building many kustomizations
//! of one repository parses each shared file once.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use krust_yaml::Document;

use crate::error::{Error, ErrorKind, Result};
use crate::remote::{is_remote_file, Remote, RemoteError, RepoSpec};

/// Which files a kustomization may read (kustomize's `--load-restrictor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadRestrictor {
    /// Files must be in or below the kustomization's directory (`LoadRestrictionsRootOnly`).
    #[default]
    RootOnly,
    /// Any file may be read (`LoadRestrictionsNone`).
    None,
}

impl std::str::FromStr for LoadRestrictor {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "LoadRestrictionsRootOnly" | "rootOnly" | "RootOnly" => Ok(LoadRestrictor::RootOnly),
            "LoadRestrictionsNone" | "none" | "None" => Ok(LoadRestrictor::None),
            other => Err(format!(
                "illegal flag value --load-restrictor {other}; legal values: \
                 LoadRestrictionsRootOnly, LoadRestrictionsNone"
            )),
        }
    }
}

/// Parsed documents of one file, shared between builds.
pub type ParsedFile = Arc<std::result::Result<Vec<Document>, krust_yaml::ParseError>>;

/// The file system a build reads, with an optional virtual root and a cache of parsed files.
///
/// A workspace is cheap to create and safe to share between threads; reuse one across builds of
/// the same tree to reuse parsed files.
#[derive(Debug, Default)]
pub struct Workspace {
    virtual_root: Option<PathBuf>,
    parsed: Mutex<HashMap<PathBuf, ParsedFile>>,
    remote: Remote,
}

impl Workspace {
    /// A workspace over the real file system.
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// A workspace in which `dir` appears as `/` (paths above it resolve to `/`).
    pub fn with_virtual_root(dir: impl Into<PathBuf>) -> Workspace {
        Workspace {
            virtual_root: Some(dir.into()),
            ..Workspace::default()
        }
    }

    /// This workspace, refusing every network reference (`--offline`) when `offline` is true:
    /// remote files and git bases then fail at once with an error naming the URL.
    pub fn offline(mut self, offline: bool) -> Workspace {
        self.remote = if offline {
            Remote::offline()
        } else {
            Remote::online()
        };
        self
    }

    /// The fetcher of remote files and repositories (and its caches).
    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// Turns a user-supplied directory into a logical absolute path.
    pub fn logical(&self, path: &Path) -> PathBuf {
        if self.virtual_root.is_some() {
            clean(&Path::new("/").join(path))
        } else if path.is_absolute() {
            clean(path)
        } else {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
            clean(&cwd.join(path))
        }
    }

    /// The real path of a logical path.
    pub fn real(&self, logical: &Path) -> PathBuf {
        match &self.virtual_root {
            Some(root) => {
                let rel = logical.strip_prefix("/").unwrap_or(logical);
                root.join(rel)
            }
            None => logical.to_path_buf(),
        }
    }

    /// True when the logical path is a directory.
    pub fn is_dir(&self, logical: &Path) -> bool {
        self.real(logical).is_dir()
    }

    /// True when the logical path exists.
    pub fn exists(&self, logical: &Path) -> bool {
        self.real(logical).exists()
    }

    /// Reads a file by logical path.
    pub fn read(&self, logical: &Path) -> Result<Vec<u8>> {
        let real = self.real(logical);
        // One open + read: a directory shows up as an error of the read itself.
        std::fs::read(&real).map_err(|e| {
            let msg = if e.kind() == std::io::ErrorKind::IsADirectory || real.is_dir() {
                format!("cannot read content from non-file '{}'", logical.display())
            } else if e.kind() == std::io::ErrorKind::NotFound {
                format!("'{}' doesn't exist", logical.display())
            } else {
                format!("reading '{}': {e}", logical.display())
            };
            Error::new(ErrorKind::Io, msg).at(logical)
        })
    }

    /// Parses a file's YAML documents, using the cache.
    pub fn parse_cached(&self, logical: &Path, bytes: &[u8]) -> ParsedFile {
        let real = self.real(logical);
        if let Ok(cache) = self.parsed.lock() {
            if let Some(hit) = cache.get(&real) {
                return Arc::clone(hit);
            }
        }
        let text = String::from_utf8_lossy(bytes);
        let parsed: ParsedFile = Arc::new(krust_yaml::parse_documents(&text));
        if let Ok(mut cache) = self.parsed.lock() {
            cache.insert(real, Arc::clone(&parsed));
        }
        parsed
    }

    /// Number of parsed files held in the cache.
    pub fn cached_files(&self) -> usize {
        self.parsed.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// Decides which disk paths a build must not see (logical absolute paths), e.g. files a Flux
/// source leaves out of its artifact.
pub type HideFilter = Arc<dyn Fn(&Path) -> bool + Send + Sync>;

/// Files one build sees instead of what is on disk, by logical absolute path: an edited
/// kustomization file, decrypted sources. Nothing is written to disk, and the parsed-file cache
/// is bypassed for these paths so other builds keep seeing the real files. A hide filter can
/// also make disk paths look absent.
#[derive(Default, Clone)]
pub struct FileOverlay {
    files: HashMap<PathBuf, Vec<u8>>,
    hidden: Option<HideFilter>,
}

impl std::fmt::Debug for FileOverlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileOverlay")
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .field("hidden", &self.hidden.is_some())
            .finish()
    }
}

impl FileOverlay {
    /// An empty overlay.
    pub fn new() -> FileOverlay {
        FileOverlay::default()
    }

    /// Makes `path` read as `content` (replacing the file on disk, or adding one).
    pub fn insert(&mut self, path: impl Into<PathBuf>, content: impl Into<Vec<u8>>) {
        self.files.insert(clean(&path.into()), content.into());
    }

    /// Makes every disk path for which `filter` is true look absent (files of the overlay itself
    /// stay visible).
    pub fn hide(&mut self, filter: HideFilter) {
        self.hidden = Some(filter);
    }

    /// The content that replaces `path`, if any.
    pub fn get(&self, path: &Path) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// True when the disk path `path` is hidden from the build.
    pub fn hides(&self, path: &Path) -> bool {
        self.hidden.as_ref().is_some_and(|f| f(path))
    }

    /// True when nothing is replaced or hidden.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.hidden.is_none()
    }
}

/// Cleans a path lexically: removes `.`, resolves `..` (never above `/`).
pub fn clean(path: &Path) -> PathBuf {
    let absolute = path.has_root();
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    let mut ups = 0usize;
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() && !absolute {
                    ups += 1;
                }
            }
            Component::Normal(n) => parts.push(n),
        }
    }
    let mut out = PathBuf::from(if absolute { "/" } else { "" });
    for _ in 0..ups {
        out.push("..");
    }
    for p in parts {
        out.push(p);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A [`RemoteError`] as a build error naming `url`.
pub(crate) fn remote_error(url: &str, e: RemoteError) -> Error {
    let kind = if e.is_http_status() {
        ErrorKind::RemoteHttp
    } else {
        ErrorKind::Remote
    };
    // git's messages do not name the reference; the others do, or are kustomize's exact text
    // (which the caller prefixes with the reference).
    let message = match &e {
        RemoteError::Git(_) => format!("fetching git repository '{url}': {e}"),
        _ => e.to_string(),
    };
    Error::new(kind, message)
}

/// Reads files for one kustomization directory, enforcing the load restrictor and refusing
/// base cycles (kustomize's `FileLoader`).
#[derive(Debug, Clone)]
pub struct Loader<'w> {
    ws: &'w Workspace,
    root: PathBuf,
    restrictor: LoadRestrictor,
    /// Roots of this loader and of every loader that led here (for cycle detection).
    visited: Vec<PathBuf>,
    /// Repo specs of the remote bases that led here, outermost first (for cycle detection).
    repos: Vec<String>,
    /// The remote base this loader is in: (repository URL, ref, path of the root inside it).
    repo: Option<Arc<RemoteRoot>>,
    /// Files this build reads from memory instead of disk.
    overlay: Option<&'w FileOverlay>,
}

/// Where a loader cloned from a git repository sits in that repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRoot {
    /// The URL the repository was fetched from.
    pub url: String,
    /// The ref asked for (empty for the remote's HEAD).
    pub git_ref: String,
    /// The root's path inside the repository.
    pub path: String,
}

impl<'w> Loader<'w> {
    /// A loader at the build's top directory (`dir` as the user gave it).
    pub fn top(ws: &'w Workspace, dir: &Path, restrictor: LoadRestrictor) -> Result<Loader<'w>> {
        Loader::top_with_overlay(ws, dir, restrictor, None)
    }

    /// [`Loader::top`], reading the files of `overlay` from memory.
    pub fn top_with_overlay(
        ws: &'w Workspace,
        dir: &Path,
        restrictor: LoadRestrictor,
        overlay: Option<&'w FileOverlay>,
    ) -> Result<Loader<'w>> {
        let logical = ws.logical(dir);
        if !ws.exists(&logical) {
            return Err(Error::new(
                ErrorKind::Io,
                format!("not a valid directory: '{}' doesn't exist", dir.display()),
            )
            .at(logical));
        }
        if !ws.is_dir(&logical) {
            return Err(Error::new(
                ErrorKind::Io,
                format!("'{}': file is not directory", dir.display()),
            )
            .at(logical));
        }
        Ok(Loader {
            ws,
            visited: vec![logical.clone()],
            root: logical,
            restrictor,
            repos: Vec::new(),
            repo: None,
            overlay: overlay.filter(|o| !o.is_empty()),
        })
    }

    /// The workspace.
    pub fn workspace(&self) -> &'w Workspace {
        self.ws
    }

    /// The kustomization directory (logical path).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root as shown in messages.
    pub fn root_display(&self) -> String {
        self.root.display().to_string()
    }

    /// The remote repository this loader reads from, if it is a cloned base.
    pub fn remote_root(&self) -> Option<&RemoteRoot> {
        self.repo.as_deref()
    }

    /// Reads a file by logical path (the overlay first).
    pub fn read(&self, logical: &Path) -> Result<Vec<u8>> {
        match self.overlaid(logical) {
            Some(bytes) => Ok(bytes.to_vec()),
            None if self.hidden(logical) => Err(Error::new(
                ErrorKind::Io,
                format!("'{}' doesn't exist", logical.display()),
            )
            .at(logical)),
            None => self.ws.read(logical),
        }
    }

    /// `(exists, is_dir)` of a logical path (the overlay first), with one file-system query.
    pub fn stat(&self, logical: &Path) -> (bool, bool) {
        if self.overlaid(logical).is_some() {
            return (true, false);
        }
        if self.hidden(logical) {
            return (false, false);
        }
        match std::fs::metadata(self.ws.real(logical)) {
            Ok(m) => (true, m.is_dir()),
            Err(_) => (false, false),
        }
    }

    fn overlaid(&self, logical: &Path) -> Option<&'w [u8]> {
        self.overlay.and_then(|o| o.get(logical))
    }

    fn hidden(&self, logical: &Path) -> bool {
        self.overlay.is_some_and(|o| o.hides(logical))
    }

    /// The load restrictor in force.
    pub fn restrictor(&self) -> LoadRestrictor {
        self.restrictor
    }

    /// Resolves `path` against the root (logical, cleaned).
    pub fn resolve(&self, path: &str) -> PathBuf {
        clean(&self.root.join(path))
    }

    /// A loader for a base or component directory `path` relative to this root
    /// (kustomize's `ldr.New`).
    pub fn child(&self, path: &str) -> Result<Loader<'w>> {
        if path.is_empty() {
            return Err(Error::new(ErrorKind::Io, "new root cannot be empty"));
        }
        if let Ok(spec) = RepoSpec::parse(path) {
            return self.child_in_clone(spec);
        }
        if Path::new(path).is_absolute() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("new root '{path}' cannot be absolute"),
            ));
        }
        let target = self.resolve(path);
        let (exists, is_dir) = self.stat(&target);
        if !exists {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "must build at directory: not a valid directory: '{}' doesn't exist",
                    target.display()
                ),
            )
            .at(target));
        }
        if !is_dir {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "must build at directory: '{}': file is not directory",
                    target.display()
                ),
            )
            .at(target));
        }
        for seen in self.visited.iter().rev() {
            if seen.starts_with(&target) {
                return Err(Error::new(
                    ErrorKind::Restricted,
                    format!(
                        "cycle detected: candidate root '{}' contains visited root '{}'",
                        target.display(),
                        seen.display()
                    ),
                )
                .at(target));
            }
        }
        let mut visited = self.visited.clone();
        visited.push(target.clone());
        Ok(Loader {
            ws: self.ws,
            root: target,
            restrictor: self.restrictor,
            visited,
            repos: self.repos.clone(),
            repo: self.repo.clone(),
            overlay: self.overlay,
        })
    }

    /// A loader at a directory of a cloned git repository (kustomize's `newLoaderAtGitClone`):
    /// clones never read outside the repository, whatever the restrictor.
    fn child_in_clone(&self, spec: RepoSpec) -> Result<Loader<'w>> {
        if let Some(prev) = self.repos.iter().find(|r| r.starts_with(&spec.raw)) {
            return Err(Error::new(
                ErrorKind::Restricted,
                format!(
                    "cycle detected: URI '{}' referenced by previous URI '{prev}'",
                    spec.raw
                ),
            ));
        }
        if self.ws.virtual_root.is_some() {
            return Err(Error::unsupported(format!(
                "remote base '{}' in a virtual-root workspace",
                spec.raw
            )));
        }
        let clone = self
            .ws
            .remote
            .clone_repo(&spec)
            .map_err(|e| remote_error(&spec.raw, e))?;
        let root = crate::remote::root_in_clone(&clone, &spec)
            .map_err(|m| Error::new(ErrorKind::Remote, m))?;
        let mut repos = self.repos.clone();
        repos.push(spec.raw.clone());
        Ok(Loader {
            ws: self.ws,
            visited: vec![root.clone()],
            root,
            restrictor: LoadRestrictor::RootOnly,
            repos,
            overlay: self.overlay,
            repo: Some(Arc::new(RemoteRoot {
                url: spec.clone_url(),
                git_ref: spec.git_ref.clone(),
                path: spec.kust_root.clone(),
            })),
        })
    }

    /// Checks the load restrictor for a file and returns its logical path.
    pub fn check_file(&self, path: &str) -> Result<PathBuf> {
        let full = self.resolve(path);
        if self.restrictor == LoadRestrictor::None {
            return Ok(full);
        }
        let (exists, is_dir) = self.stat(&full);
        if !exists {
            return Err(
                Error::new(ErrorKind::Io, format!("'{}' doesn't exist", full.display())).at(full),
            );
        }
        if is_dir {
            return Err(Error::new(
                ErrorKind::Io,
                format!("'{}' must resolve to a file", full.display()),
            )
            .at(full));
        }
        let dir = full.parent().unwrap_or(Path::new("/"));
        if !dir.starts_with(&self.root) {
            return Err(Error::new(
                ErrorKind::Restricted,
                format!(
                    "security; file '{}' is not in or below '{}'",
                    full.display(),
                    self.root.display()
                ),
            )
            .at(full));
        }
        Ok(full)
    }

    /// Reads a file relative to the root, enforcing the restrictor (kustomize's `ldr.Load`).
    pub fn load(&self, path: &str) -> Result<Vec<u8>> {
        if is_remote_file(path) {
            return self
                .ws
                .remote
                .fetch_file(path)
                .map(|body| body.as_ref().clone())
                .map_err(|e| remote_error(path, e));
        }
        let full = self.check_file(path)?;
        self.read(&full)
    }

    /// Reads a file as text (invalid UTF-8 is an error naming the file).
    pub fn load_text(&self, path: &str) -> Result<String> {
        let bytes = self.load(path)?;
        String::from_utf8(bytes).map_err(|_| {
            Error::new(
                ErrorKind::MalformedYaml,
                format!("'{}' is not valid UTF-8 text", self.resolve(path).display()),
            )
            .at(self.resolve(path))
        })
    }

    /// Reads and parses a file's YAML documents (cached by path).
    pub fn load_documents(&self, path: &str) -> Result<ParsedFile> {
        let bytes = self.load(path)?;
        let full = self.resolve(path);
        if self.overlaid(&full).is_some() {
            let text = String::from_utf8_lossy(&bytes);
            return Ok(Arc::new(krust_yaml::parse_documents(&text)));
        }
        Ok(self.ws.parse_cached(&full, &bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_paths() {
        assert_eq!(clean(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(clean(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(clean(Path::new("/a/..")), PathBuf::from("/"));
        assert_eq!(clean(Path::new("/")), PathBuf::from("/"));
    }
}
