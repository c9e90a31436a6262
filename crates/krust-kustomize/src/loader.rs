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
            parsed: Mutex::default(),
        }
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
        if real.is_dir() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("cannot read content from non-file '{}'", logical.display()),
            )
            .at(logical));
        }
        std::fs::read(&real).map_err(|e| {
            let msg = if e.kind() == std::io::ErrorKind::NotFound {
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

/// True for resource entries kustomize would fetch from the network.
pub fn is_remote(path: &str) -> bool {
    path.starts_with("https://")
        || path.starts_with("http://")
        || path.starts_with("git@")
        || path.starts_with("ssh://")
        || path.starts_with("git::")
        || path.starts_with("github.com/")
        || path.starts_with("gitlab.com/")
        || path.starts_with("bitbucket.org/")
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
}

impl<'w> Loader<'w> {
    /// A loader at the build's top directory (`dir` as the user gave it).
    pub fn top(ws: &'w Workspace, dir: &Path, restrictor: LoadRestrictor) -> Result<Loader<'w>> {
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
        if is_remote(path) {
            return Err(Error::unsupported(format!("remote resource '{path}'")));
        }
        if Path::new(path).is_absolute() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("new root '{path}' cannot be absolute"),
            ));
        }
        let target = self.resolve(path);
        if !self.ws.exists(&target) {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "must build at directory: not a valid directory: '{}' doesn't exist",
                    target.display()
                ),
            )
            .at(target));
        }
        if !self.ws.is_dir(&target) {
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
        })
    }

    /// Checks the load restrictor for a file and returns its logical path.
    pub fn check_file(&self, path: &str) -> Result<PathBuf> {
        let full = self.resolve(path);
        if self.restrictor == LoadRestrictor::None {
            return Ok(full);
        }
        if !self.ws.exists(&full) {
            return Err(
                Error::new(ErrorKind::Io, format!("'{}' doesn't exist", full.display())).at(full),
            );
        }
        if self.ws.is_dir(&full) {
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
        if is_remote(path) {
            return Err(Error::unsupported(format!("remote file '{path}'")));
        }
        let full = self.check_file(path)?;
        self.ws.read(&full)
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
        Ok(self.ws.parse_cached(&self.resolve(path), &bytes))
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
