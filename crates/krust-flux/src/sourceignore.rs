//! Which files of a source directory end up in the Flux source artifact.
//!
//! source-controller does not hand kustomize-controller the repository as it is on disk: it
//! archives it, leaving out what its ignore rules match, and symbolic links. A local render must
//! see the same tree, or a generated kustomization picks up a file the cluster never receives.
//!
//! The rules, as source-controller applies them to a GitRepository:
//! - lowest priority, built-in patterns: VCS files (`.git/`, `.gitignore`, `.gitmodules`,
//!   `.gitattributes`), common binary extensions, CI configuration (`.github/`, `.gitlab-ci.yml`,
//!   …) and `**/.goreleaser.yml`, `**/.sops.yaml`, `**/.flux.yaml`;
//! - then every `.sourceignore` file in the tree (outside `.git`), each scoped to its directory,
//!   the root's first and then sub-directories depth-first in name order;
//! - highest priority, the source's `spec.ignore`.
//!
//! The last pattern that matches a path decides (a `!pattern` re-includes). Unlike git, a file
//! under an excluded directory can be re-included, because each path is matched on its own.
//! Patterns follow gitignore syntax as Flux's matcher reads it: components separated by `/`, a
//! leading `/` or any inner `/` anchors the pattern to its directory, `**` spans directories, a
//! trailing `/` matches directories only, and each component is a shell glob (`*`, `?`, `[a-z]`,
//! `[^x]`, `\` escapes). A component glob that is malformed never matches.
//!
//! OCIRepository sources get the built-in patterns and `spec.ignore`; Buckets get the root
//! `.sourceignore` and `spec.ignore` only.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The file name of per-directory ignore files.
pub const IGNORE_FILE: &str = ".sourceignore";

const VCS_PATTERNS: &[&str] = &[".git/", ".gitignore", ".gitmodules", ".gitattributes"];

const DEFAULT_PATTERNS: &[&str] = &[
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

/// What kind of source produced the artifact (each applies the rules a little differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A GitRepository: built-in patterns, every `.sourceignore`, `spec.ignore`.
    Git,
    /// An OCIRepository: built-in patterns and `spec.ignore`.
    Oci,
    /// A Bucket: the root `.sourceignore` and `spec.ignore`.
    Bucket,
}

impl SourceKind {
    /// The kind for a Flux source kind name (`GitRepository`, …); unknown kinds act like Git.
    pub fn from_kind(kind: &str) -> SourceKind {
        match kind {
            "OCIRepository" => SourceKind::Oci,
            "Bucket" => SourceKind::Bucket,
            _ => SourceKind::Git,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    NoMatch,
    Exclude,
    Include,
}

/// One ignore pattern, scoped to the directory (`domain`) whose ignore file holds it.
#[derive(Debug, Clone)]
struct Pattern {
    domain: Vec<String>,
    parts: Vec<String>,
    /// `parts` compiled (empty when some part is not a valid glob: the pattern never matches).
    globs: Vec<Vec<Token>>,
    include: bool,
    dir_only: bool,
    anchored: bool,
}

impl Pattern {
    fn parse(text: &str, domain: &[String]) -> Pattern {
        let mut p = text;
        let include = p.starts_with('!');
        if include {
            p = &p[1..];
        }
        if !p.ends_with("\\ ") {
            p = p.trim_end_matches(' ');
        }
        let dir_only = p.ends_with('/');
        if dir_only {
            p = &p[..p.len() - 1];
        }
        let anchored = p.contains('/');
        let parts: Vec<String> = p.split('/').map(str::to_string).collect();
        let globs: Option<Vec<Vec<Token>>> = parts.iter().map(|c| tokenize(c)).collect();
        Pattern {
            domain: domain.to_vec(),
            parts,
            globs: globs.unwrap_or_default(),
            include,
            dir_only,
            anchored,
        }
    }

    fn verdict(&self, path: &[&str], is_dir: bool) -> Verdict {
        if path.len() <= self.domain.len() || self.globs.is_empty() {
            return Verdict::NoMatch;
        }
        if self.domain.iter().zip(path).any(|(d, p)| d != p) {
            return Verdict::NoMatch;
        }
        let rest = &path[self.domain.len()..];
        let matched = if self.anchored {
            self.anchored_match(rest, is_dir)
        } else {
            self.name_match(rest, is_dir)
        };
        match (matched, self.include) {
            (false, _) => Verdict::NoMatch,
            (true, true) => Verdict::Include,
            (true, false) => Verdict::Exclude,
        }
    }

    /// An unanchored pattern matches any component; matching only the last component of a file
    /// does not count for a directory-only pattern.
    fn name_match(&self, path: &[&str], is_dir: bool) -> bool {
        let last = path.len() - 1;
        match path.iter().position(|c| glob_match(&self.globs[0], c)) {
            Some(i) => !(self.dir_only && !is_dir && i == last),
            None => false,
        }
    }

    /// An anchored pattern walks the path component by component; `**` may skip any number.
    /// (Flux's reading: once every pattern component has matched, deeper paths match too.)
    fn anchored_match(&self, mut path: &[&str], is_dir: bool) -> bool {
        let mut matched = false;
        let mut skipping = false;
        for (i, part) in self.parts.iter().enumerate() {
            if part.is_empty() {
                skipping = false;
                continue;
            }
            if part == "**" {
                if i == self.parts.len() - 1 {
                    break;
                }
                skipping = true;
                continue;
            }
            if part.contains("**") || path.is_empty() {
                return false;
            }
            let glob = &self.globs[i];
            if skipping {
                skipping = false;
                match path.iter().position(|c| glob_match(glob, c)) {
                    Some(at) => {
                        path = &path[at + 1..];
                        matched = true;
                    }
                    None => return false,
                }
            } else {
                if !glob_match(glob, path[0]) {
                    return false;
                }
                matched = true;
                path = &path[1..];
            }
        }
        // A directory-only pattern whose last component matched a file does not match.
        matched && !(self.dir_only && !is_dir && path.is_empty())
    }
}

/// The ignore rules of one source directory.
#[derive(Debug, Clone)]
pub struct SourceIgnore {
    root: PathBuf,
    patterns: Vec<Pattern>,
    /// Symbolic links below the root (relative paths): the artifact has none of them.
    symlinks: HashSet<PathBuf>,
    /// True when some pattern re-includes (`!…`): only then can a file under an excluded
    /// directory be in the artifact.
    has_includes: bool,
}

impl SourceIgnore {
    /// Reads the rules for the source at `root` (an absolute, clean path) of kind `kind`, with the
    /// source's `spec.ignore` text if any.
    pub fn load(root: &Path, kind: SourceKind, spec_ignore: Option<&str>) -> Result<Self, String> {
        let mut patterns = Vec::new();
        if kind != SourceKind::Bucket {
            for p in VCS_PATTERNS.iter().chain(DEFAULT_PATTERNS) {
                patterns.push(Pattern::parse(p, &[]));
            }
        }
        let mut symlinks = HashSet::new();
        match kind {
            SourceKind::Git => {
                walk_tree(root, &mut Vec::new(), Some(&mut patterns), &mut symlinks)?;
            }
            SourceKind::Bucket => {
                read_ignore_file(&root.join(IGNORE_FILE), &[], &mut patterns)?;
                walk_tree(root, &mut Vec::new(), None, &mut symlinks)?;
            }
            SourceKind::Oci => walk_tree(root, &mut Vec::new(), None, &mut symlinks)?,
        }
        if let Some(text) = spec_ignore {
            read_patterns(text, &[], &mut patterns);
        }
        Ok(SourceIgnore::new(root.to_path_buf(), patterns, symlinks))
    }

    fn new(root: PathBuf, patterns: Vec<Pattern>, symlinks: HashSet<PathBuf>) -> SourceIgnore {
        let has_includes = patterns.iter().any(|p| p.include);
        SourceIgnore {
            root,
            patterns,
            symlinks,
            has_includes,
        }
    }

    /// True when the directory `dir` is not in the artifact at all: it is left out and nothing
    /// below it is re-included (or it is reached through a symbolic link). A walk need not
    /// enter such a directory, and a Kustomization path naming it does not exist.
    pub fn prunes_dir(&self, dir: &Path) -> bool {
        let Some((rel, parts)) = self.relative(dir) else {
            return false;
        };
        if self.under_symlink(rel) {
            return true;
        }
        if !self.excluded_as_file_and_dir(&parts).1 {
            return false;
        }
        // Excluding a directory excludes everything below it unless a pattern re-includes.
        !(self.has_includes && self.keeps_something_below(dir))
    }

    fn keeps_something_below(&self, dir: &Path) -> bool {
        let Ok(list) = entries(dir) else {
            return false;
        };
        list.into_iter().any(|(name, is_dir, is_symlink)| {
            let path = dir.join(&name);
            !is_symlink
                && (!self.is_ignored(&path, is_dir)
                    || (is_dir && self.keeps_something_below(&path)))
        })
    }

    /// True when the artifact leaves out `path` (absolute; paths outside the root are never
    /// left out), which is a directory when `is_dir`.
    pub fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Some((rel, parts)) = self.relative(path) else {
            return false;
        };
        let (as_file, as_dir) = self.excluded_as_file_and_dir(&parts);
        (if is_dir { as_dir } else { as_file }) || self.under_symlink(rel)
    }

    /// [`SourceIgnore::is_ignored`], asking the file system whether `path` is a directory only
    /// when the answer depends on it.
    pub fn hides(&self, path: &Path) -> bool {
        let Some((rel, parts)) = self.relative(path) else {
            return false;
        };
        if self.under_symlink(rel) {
            return true;
        }
        let (as_file, as_dir) = self.excluded_as_file_and_dir(&parts);
        if as_file == as_dir {
            as_file
        } else if path.is_dir() {
            as_dir
        } else {
            as_file
        }
    }

    /// `path` relative to the root and its components; `None` for the root itself and for paths
    /// outside it (neither is ever left out).
    fn relative<'p>(&self, path: &'p Path) -> Option<(&'p Path, Vec<&'p str>)> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
        (!parts.is_empty()).then_some((rel, parts))
    }

    /// `(excluded as a file, excluded as a directory)` in one pass: only directory-only patterns
    /// can tell the two apart.
    fn excluded_as_file_and_dir(&self, parts: &[&str]) -> (bool, bool) {
        let (mut file, mut dir) = (None, None);
        for p in self.patterns.iter().rev() {
            if p.dir_only {
                if file.is_none() {
                    file = decided(p.verdict(parts, false));
                }
                if dir.is_none() {
                    dir = decided(p.verdict(parts, true));
                }
            } else if let Some(v) = decided(p.verdict(parts, false)) {
                file.get_or_insert(v);
                dir.get_or_insert(v);
            }
            if let (Some(f), Some(d)) = (file, dir) {
                return (f, d);
            }
        }
        (file.unwrap_or(false), dir.unwrap_or(false))
    }

    fn under_symlink(&self, rel: &Path) -> bool {
        !self.symlinks.is_empty() && rel.ancestors().any(|a| self.symlinks.contains(a))
    }
}

/// `Some(excluded)` when the verdict decides, `None` when the pattern does not match.
fn decided(v: Verdict) -> Option<bool> {
    match v {
        Verdict::NoMatch => None,
        Verdict::Exclude => Some(true),
        Verdict::Include => Some(false),
    }
}

fn read_patterns(text: &str, domain: &[String], out: &mut Vec<Pattern>) {
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if !line.starts_with('#') && !line.trim().is_empty() {
            out.push(Pattern::parse(line, domain));
        }
    }
}

fn read_ignore_file(path: &Path, domain: &[String], out: &mut Vec<Pattern>) -> Result<(), String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            read_patterns(&String::from_utf8_lossy(&bytes), domain, out);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

/// Sorted `(name, is_dir, is_symlink)` entries of a directory (symbolic links not followed).
fn entries(dir: &Path) -> Result<Vec<(String, bool, bool)>, String> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in rd {
        let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let ft = entry
            .file_type()
            .map_err(|e| format!("reading {}: {e}", entry.path().display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        out.push((name, ft.is_dir(), ft.is_symlink()));
    }
    out.sort();
    Ok(out)
}

/// Walks the tree below `dir` (not following symbolic links, skipping `.git`): records every
/// symbolic link and, when `patterns` is given, reads each directory's `.sourceignore` into it.
fn walk_tree(
    dir: &Path,
    domain: &mut Vec<String>,
    mut patterns: Option<&mut Vec<Pattern>>,
    symlinks: &mut HashSet<PathBuf>,
) -> Result<(), String> {
    if let Some(out) = patterns.as_deref_mut() {
        read_ignore_file(&dir.join(IGNORE_FILE), domain, out)?;
    }
    for (name, is_dir, is_symlink) in entries(dir)? {
        if is_symlink {
            symlinks.insert(domain.iter().chain([&name]).collect());
        } else if is_dir && name != ".git" {
            let sub = dir.join(&name);
            domain.push(name);
            walk_tree(&sub, domain, patterns.as_deref_mut(), symlinks)?;
            domain.pop();
        }
    }
    Ok(())
}

/// One element of a shell glob.
#[derive(Debug, Clone)]
enum Token {
    Literal(char),
    AnyOne,
    AnyRun,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Parses a glob the way Go's `path/filepath.Match` reads it; `None` when it is malformed.
fn tokenize(pattern: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        match chars[i] {
            '*' => {
                out.push(Token::AnyRun);
                i += 1;
            }
            '?' => {
                out.push(Token::AnyOne);
                i += 1;
            }
            '\\' => {
                let c = *chars.get(i + 1)?;
                out.push(Token::Literal(c));
                i += 2;
            }
            '[' => {
                i += 1;
                let negated = chars.get(i) == Some(&'^');
                if negated {
                    i += 1;
                }
                let mut ranges = Vec::new();
                loop {
                    if chars.get(i) == Some(&']') && !ranges.is_empty() {
                        i += 1;
                        break;
                    }
                    let (lo, next) = class_char(&chars, i)?;
                    i = next;
                    let mut hi = lo;
                    if chars[i] == '-' {
                        let (h, next) = class_char(&chars, i + 1)?;
                        hi = h;
                        i = next;
                    }
                    ranges.push((lo, hi));
                }
                out.push(Token::Class { negated, ranges });
            }
            c => {
                out.push(Token::Literal(c));
                i += 1;
            }
        }
    }
    Some(out)
}

/// One character of a class (escapes allowed, `-` and `]` not); the class must go on after it.
fn class_char(chars: &[char], mut i: usize) -> Option<(char, usize)> {
    let mut c = *chars.get(i)?;
    if c == '-' || c == ']' {
        return None;
    }
    if c == '\\' {
        i += 1;
        c = *chars.get(i)?;
    }
    i += 1;
    if i >= chars.len() {
        return None;
    }
    Some((c, i))
}

/// True when the single path component `name` matches the compiled glob `tokens`.
fn glob_match(tokens: &[Token], name: &str) -> bool {
    if name.is_ascii() {
        let bytes = name.as_bytes();
        match_chars(tokens, bytes.len(), |i| char::from(bytes[i]))
    } else {
        let chars: Vec<char> = name.chars().collect();
        match_chars(tokens, chars.len(), |i| chars[i])
    }
}

fn match_chars(tokens: &[Token], len: usize, at: impl Fn(usize) -> char) -> bool {
    // Classic wildcard matching with one backtrack point: the last `*` seen.
    let (mut t, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < len {
        let c = at(n);
        let step = match tokens.get(t) {
            Some(Token::AnyRun) => {
                star = Some((t, n));
                t += 1;
                continue;
            }
            Some(Token::AnyOne) => true,
            Some(Token::Literal(l)) => *l == c,
            Some(Token::Class { negated, ranges }) => {
                let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                inside != *negated
            }
            None => false,
        };
        if step {
            t += 1;
            n += 1;
        } else if let Some((st, sn)) = star {
            t = st + 1;
            n = sn + 1;
            star = Some((st, sn + 1));
        } else {
            return false;
        }
    }
    tokens[t..].iter().all(|tok| matches!(tok, Token::AnyRun))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(lines: &[&str]) -> SourceIgnore {
        let mut patterns = Vec::new();
        for p in VCS_PATTERNS.iter().chain(DEFAULT_PATTERNS) {
            patterns.push(Pattern::parse(p, &[]));
        }
        for l in lines {
            patterns.push(Pattern::parse(l, &[]));
        }
        SourceIgnore::new(PathBuf::from("/repo"), patterns, HashSet::new())
    }

    fn ignored(r: &SourceIgnore, path: &str, is_dir: bool) -> bool {
        r.is_ignored(&Path::new("/repo").join(path), is_dir)
    }

    #[test]
    fn globs_follow_go_filepath_match() {
        for (p, n, want) in [
            ("*.yaml", "a.yaml", true),
            ("*.yaml", "a.yml", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("[a-c]x", "bx", true),
            ("[^a-c]x", "bx", false),
            ("[^a-c]x", "dx", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("*a*b", "xaxxb", true),
            ("*a*b", "xaxxbc", false),
            ("", "", true),
            ("*", "", true),
            ("ä*", "äb", true),
            ("?b", "äb", true),
            ("[à-ä]", "â", true),
            // Malformed globs never match.
            ("[a", "a", false),
            ("[]a]", "]", false),
            ("a\\", "a", false),
            ("[a-]", "a", false),
        ] {
            let got = tokenize(p).is_some_and(|t| glob_match(&t, n));
            assert_eq!(got, want, "{p} vs {n}");
        }
    }

    #[test]
    fn built_in_patterns_leave_out_vcs_ci_and_sops_files() {
        let r = rules(&[]);
        assert!(ignored(&r, ".git", true));
        assert!(ignored(&r, ".git/config", false));
        assert!(ignored(&r, ".github/workflows/ci.yaml", false));
        assert!(ignored(&r, "apps/.sops.yaml", false));
        assert!(ignored(&r, ".sops.yaml", false));
        assert!(ignored(&r, "docs/diagram.png", false));
        assert!(!ignored(&r, "apps/deploy.yaml", false));
        // `.github/` is directory-only: a file of that name stays.
        assert!(!ignored(&r, ".github", false));
    }

    #[test]
    fn unanchored_patterns_match_any_component_and_negation_wins_when_later() {
        let r = rules(&["*.md", "tmp/", "!keep/README.md", "secret.yaml"]);
        assert!(ignored(&r, "README.md", false));
        assert!(ignored(&r, "apps/README.md", false));
        assert!(!ignored(&r, "keep/README.md", false));
        assert!(ignored(&r, "apps/tmp/x.yaml", false));
        assert!(ignored(&r, "apps/tmp", true));
        assert!(!ignored(&r, "apps/tmp", false));
        assert!(ignored(&r, "a/b/secret.yaml", false));
    }

    #[test]
    fn anchored_patterns_start_at_their_directory() {
        let r = rules(&["/clusters/staging", "apps/*/test", "**/drafts/*.yaml"]);
        assert!(ignored(&r, "clusters/staging", true));
        assert!(ignored(&r, "clusters/staging/flux.yaml", false));
        assert!(!ignored(&r, "x/clusters/staging", true));
        assert!(ignored(&r, "apps/web/test/a.yaml", false));
        assert!(!ignored(&r, "apps/web/prod/a.yaml", false));
        assert!(ignored(&r, "drafts/a.yaml", false));
        assert!(ignored(&r, "a/b/drafts/a.yaml", false));
        assert!(!ignored(&r, "a/b/drafts/a.yml", false));
    }

    #[test]
    fn everything_except_pattern_keeps_only_what_is_re_included() {
        // A common `.sourceignore`: ship only the deploy tree.
        let r = rules(&["/*", "!/deploy"]);
        assert!(ignored(&r, "src/main.go", false));
        assert!(ignored(&r, "README.md", false));
        assert!(!ignored(&r, "deploy/app.yaml", false));
    }

    #[test]
    fn nested_ignore_files_are_scoped_and_spec_ignore_has_the_last_word() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("apps/web")).unwrap();
        std::fs::write(root.join(".sourceignore"), "# comment\n\n*.txt\n").unwrap();
        std::fs::write(root.join("apps/.sourceignore"), "web/old.yaml\n").unwrap();
        let r = SourceIgnore::load(root, SourceKind::Git, Some("!notes.txt\n")).unwrap();
        assert!(r.is_ignored(&root.join("a.txt"), false));
        assert!(!r.is_ignored(&root.join("notes.txt"), false));
        assert!(r.is_ignored(&root.join("apps/web/old.yaml"), false));
        // The nested file's pattern is scoped to `apps/`.
        assert!(!r.is_ignored(&root.join("web/old.yaml"), false));
        assert!(!r.is_ignored(&root.join("apps/web/new.yaml"), false));
        assert!(!r.is_ignored(root, true));
        assert!(!r.is_ignored(Path::new("/elsewhere/a.txt"), false));
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_not_in_the_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::write(root.join("real/a.yaml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("linked")).unwrap();
        std::os::unix::fs::symlink(root.join("real/a.yaml"), root.join("b.yaml")).unwrap();
        let r = SourceIgnore::load(root, SourceKind::Git, None).unwrap();
        assert!(!r.hides(&root.join("real/a.yaml")));
        assert!(r.hides(&root.join("linked/a.yaml")));
        assert!(r.hides(&root.join("b.yaml")));
    }

    #[test]
    fn buckets_have_no_built_in_patterns() {
        let dir = tempfile::tempdir().unwrap();
        let r = SourceIgnore::load(dir.path(), SourceKind::Bucket, None).unwrap();
        assert!(!r.is_ignored(&dir.path().join(".sops.yaml"), false));
        let r = SourceIgnore::load(dir.path(), SourceKind::Oci, Some("*.yaml")).unwrap();
        assert!(r.is_ignored(&dir.path().join(".sops.yaml"), false));
        assert!(r.is_ignored(&dir.path().join("a.yaml"), false));
    }
}
