//! The kustomize build step, behind a trait so the Flux layer can be tested without the engine.
//!
//! kustomize-controller edits the kustomization file of the directory it builds (or writes one
//! when there is none), decrypts sources in its private checkout, and builds the directory in
//! place. krust never writes into the user's repository: [`KustomizeEngine`] hands the edited
//! kustomization and the decrypted files to the build as an in-memory overlay of those paths,
//! and builds with load restrictor `None` (which is what the controller uses anyway).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use krust_kustomize::build::{build_with_overlay, BuildOptions, DefaultOrder};
use krust_kustomize::loader::{FileOverlay, LoadRestrictor, Workspace};
use krust_yaml::Value;

use crate::sourceignore::SourceIgnore;

/// The names kustomize recognises for a kustomization file, in its order of preference.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One object produced by a build, with where it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltObject {
    /// The object.
    pub value: Value,
    /// The file it came from (for generated objects: the kustomization that generated it).
    pub file: PathBuf,
    /// 1-based line of its document in `file` (0 when unknown or generated).
    pub line: usize,
}

/// Extra files a build should see instead of what is on disk (decrypted SOPS sources), and the
/// files it must not see (those the source artifact leaves out).
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    /// `(original absolute path, replacement content)`.
    pub files: Vec<(PathBuf, Vec<u8>)>,
    /// The ignore rules of the source the build reads from.
    pub ignore: Option<Arc<SourceIgnore>>,
}

/// Builds one kustomization directory.
pub trait Engine {
    /// Builds `dir`. With `kustomization`, that value replaces the directory's kustomization file
    /// (relative paths in it are relative to `dir`); `overlay` files replace the files at their
    /// paths for this build (taken by value: their contents move into the build).
    fn build(
        &self,
        dir: &Path,
        kustomization: Option<&Value>,
        overlay: Overlay,
    ) -> Result<Vec<BuiltObject>, String>;
}

/// The native krust-kustomize engine, with load restrictor `None` and kustomize's legacy order.
#[derive(Debug, Default)]
pub struct KustomizeEngine {
    ws: Workspace,
}

impl KustomizeEngine {
    /// A new engine (one parsed-file cache for all builds).
    pub fn new() -> Self {
        KustomizeEngine::default()
    }

    /// An engine that never uses the network (remote bases fail at once, naming the URL) when
    /// `offline` is true, as kustomize-controller's `--no-remote-bases` would have them fail.
    pub fn offline(offline: bool) -> Self {
        KustomizeEngine {
            ws: Workspace::new().offline(offline),
        }
    }
}

impl Engine for KustomizeEngine {
    fn build(
        &self,
        dir: &Path,
        kustomization: Option<&Value>,
        overlay: Overlay,
    ) -> Result<Vec<BuiltObject>, String> {
        let options = BuildOptions {
            load_restrictor: LoadRestrictor::None,
            default_order: DefaultOrder::Legacy,
            ..BuildOptions::default()
        };
        let dir = absolute(dir);
        let mut files = FileOverlay::new();
        if let Some(kust) = kustomization {
            // Replace the directory's kustomization file under its own name (two kustomization
            // files in one directory would be an error), or add one.
            let name = KUSTOMIZATION_FILE_NAMES
                .iter()
                .find(|n| dir.join(n).is_file())
                .copied()
                .unwrap_or(KUSTOMIZATION_FILE_NAMES[0]);
            files.insert(dir.join(name), krust_yaml::to_string(kust));
        }
        for (path, content) in overlay.files {
            files.insert(path, content);
        }
        if let Some(ignore) = overlay.ignore {
            files.hide(Arc::new(move |p: &Path| ignore.hides(p)));
        }
        let rm = build_with_overlay(&self.ws, &dir, &options, &files).map_err(|e| e.to_string())?;
        Ok(convert(rm.into_resources()))
    }
}

fn convert(resources: Vec<krust_kustomize::Resource>) -> Vec<BuiltObject> {
    resources
        .into_iter()
        .map(|r| BuiltObject {
            value: r.value,
            file: r.origin.path,
            line: r.origin.line,
        })
        .collect()
}

/// Makes a path absolute (against the current directory) and lexically clean.
pub fn absolute(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(p)
    };
    clean(&joined)
}

/// Lexical clean: drops `.`, resolves `..` (never above the root).
pub fn clean(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.last(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(out.last(), Some(Component::RootDir)) {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// True for kustomize remote references (URLs, git shorthands).
pub fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("git@")
        || s.starts_with("github.com/")
        || s.starts_with("gh:")
        || s.starts_with("git::")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_paths() {
        assert_eq!(clean(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
