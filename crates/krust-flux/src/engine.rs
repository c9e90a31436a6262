//! The kustomize build step, behind a trait so the Flux layer can be tested without the engine.
//!
//! kustomize-controller edits the kustomization file of the directory it builds (or writes one
//! when there is none) and builds the directory in place. krust never writes into the user's
//! repository: [`KustomizeEngine`] writes the edited kustomization into a private temporary
//! directory, with every relative path rewritten to point back into the original directory, and
//! builds that with load restrictor `None` (which is what the controller uses anyway).

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use krust_kustomize::build::{build, BuildOptions, DefaultOrder};
use krust_kustomize::loader::{LoadRestrictor, Workspace};
use krust_yaml::Value;

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

/// Extra files a build should see instead of what is on disk (decrypted SOPS sources).
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    /// `(original absolute path, replacement content)`.
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

/// Builds one kustomization directory.
pub trait Engine {
    /// Builds `dir`. With `kustomization`, that value replaces the directory's kustomization file
    /// (relative paths in it are relative to `dir`); `overlay` files replace files on disk where
    /// the top-level kustomization refers to them.
    fn build(
        &self,
        dir: &Path,
        kustomization: Option<&Value>,
        overlay: &Overlay,
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
}

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A temporary directory removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> Result<TempDir, String> {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("krust-flux-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("creating temporary directory {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Engine for KustomizeEngine {
    fn build(
        &self,
        dir: &Path,
        kustomization: Option<&Value>,
        overlay: &Overlay,
    ) -> Result<Vec<BuiltObject>, String> {
        let options = BuildOptions {
            load_restrictor: LoadRestrictor::None,
            default_order: DefaultOrder::Legacy,
            ..BuildOptions::default()
        };
        let dir = absolute(dir);
        let Some(kust) = kustomization else {
            let rm = build(&self.ws, &dir, &options).map_err(|e| e.to_string())?;
            return Ok(convert(rm.into_resources()));
        };
        let tmp = TempDir::new()?;
        let mut kust = kust.clone();
        // Decrypted files go into the temporary directory; entries that named them point there.
        let mut replaced = Vec::new();
        for (i, (orig, content)) in overlay.files.iter().enumerate() {
            let base = orig
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            let rel = format!("decrypted/{i}/{base}");
            let target = tmp.0.join(&rel);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&target, content).map_err(|e| e.to_string())?;
            replaced.push((orig.clone(), rel));
        }
        rewrite_paths(&mut kust, &dir, &tmp.0, &replaced);
        let text = krust_yaml::to_string(&kust);
        std::fs::write(tmp.0.join("kustomization.yaml"), text).map_err(|e| e.to_string())?;
        let rm = build(&self.ws, &tmp.0, &options).map_err(|e| {
            e.to_string()
                .replace(&tmp.0.display().to_string(), &dir.display().to_string())
        })?;
        let mut objects = convert(rm.into_resources());
        let kfile = dir.join("kustomization.yaml");
        for o in &mut objects {
            if o.file.starts_with(&tmp.0) {
                o.file = kfile.clone();
                o.line = 0;
            }
        }
        Ok(objects)
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

/// The relative path from directory `from` to `to` (both absolute and clean).
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// True for kustomize remote references (URLs, git shorthands).
pub fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("git@")
        || s.starts_with("github.com/")
        || s.starts_with("gh:")
        || s.starts_with("git::")
}

/// Rewrites every path of a kustomization relative to `dir` so that it works from `tmp`.
fn rewrite_paths(kust: &mut Value, dir: &Path, tmp: &Path, replaced: &[(PathBuf, String)]) {
    let fix = |p: &str| -> String {
        if p.is_empty() || is_remote(p) || p.contains('\n') {
            return p.to_string();
        }
        let abs = clean(&dir.join(p));
        if let Some((_, rel)) = replaced.iter().find(|(o, _)| *o == abs) {
            return rel.clone();
        }
        relative(tmp, &abs).to_string_lossy().into_owned()
    };
    let Some(map) = kust.as_map_mut() else { return };
    for field in [
        "resources",
        "bases",
        "components",
        "crds",
        "configurations",
        "generators",
        "transformers",
        "validators",
        "patchesStrategicMerge",
    ] {
        if let Some(Value::Seq(items)) = map.get_mut(field) {
            for item in items.iter_mut() {
                if let Value::String(s) = item {
                    *s = fix(s);
                }
            }
        }
    }
    for field in ["patches", "patchesJson6902", "replacements"] {
        if let Some(Value::Seq(items)) = map.get_mut(field) {
            for item in items.iter_mut() {
                if let Some(Value::String(p)) = item.get_mut("path") {
                    *p = fix(p);
                }
            }
        }
    }
    if let Some(Value::String(p)) = map.get_mut("openapi").and_then(|o| o.get_mut("path")) {
        *p = fix(p);
    }
    for field in ["configMapGenerator", "secretGenerator"] {
        if let Some(Value::Seq(gens)) = map.get_mut(field) {
            for g in gens.iter_mut() {
                if let Some(Value::Seq(files)) = g.get_mut("files") {
                    for f in files.iter_mut() {
                        if let Value::String(s) = f {
                            *s = match s.split_once('=') {
                                Some((k, p)) => format!("{k}={}", fix(p)),
                                None => {
                                    let key = Path::new(s.as_str())
                                        .file_name()
                                        .map(|n| n.to_string_lossy().into_owned())
                                        .unwrap_or_default();
                                    format!("{key}={}", fix(s))
                                }
                            };
                        }
                    }
                }
                if let Some(Value::Seq(envs)) = g.get_mut("envs") {
                    for e in envs.iter_mut() {
                        if let Value::String(s) = e {
                            *s = fix(s);
                        }
                    }
                }
                if let Some(Value::String(s)) = g.get_mut("env") {
                    *s = fix(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/tmp/x"), Path::new("/work/repo/apps")),
            PathBuf::from("../../work/repo/apps")
        );
        assert_eq!(clean(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
