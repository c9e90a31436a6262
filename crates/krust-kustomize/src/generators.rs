//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets built from literals,
//! files and env files.
//!
//! Key/value pairs are collected in kustomize's order (env files, then literals, then files);
//! a repeated key is an error. ConfigMap values that are not UTF-8 go to `binaryData`
//! (base64); Secret values are always base64 in `data`.

use indexmap::IndexMap;
use krust_yaml::{Mapping, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::kustomization::{GeneratorArgs, GeneratorOptions};
use crate::loader::Loader;
use crate::resource::{Origin, Resource};

/// What a generated object does when an object with its id already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    /// No `behavior` given: like create.
    Unspecified,
    /// `create`: the id must be new.
    Create,
    /// `merge`: merge data, labels and annotations into the existing object.
    Merge,
    /// `replace`: replace the existing object (keeping its name and namespace).
    Replace,
}

impl Behavior {
    /// Parses a `behavior` value; unknown values are unspecified, as in kustomize.
    pub fn parse(s: &str) -> Behavior {
        match s {
            "create" => Behavior::Create,
            "merge" => Behavior::Merge,
            "replace" => Behavior::Replace,
            _ => Behavior::Unspecified,
        }
    }
}

/// A generated object, with the behavior its generator asked for.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The object (hash suffix still to be added when `needs_hash_suffix`).
    pub resource: Resource,
    /// create / merge / replace.
    pub behavior: Behavior,
}

/// Which generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneratorKind {
    /// `configMapGenerator`.
    ConfigMap,
    /// `secretGenerator`.
    Secret,
}

/// Runs one generator entry, with global `generatorOptions` merged in.
pub fn generate(
    ldr: &Loader<'_>,
    kind: GeneratorKind,
    args: &GeneratorArgs,
    global: Option<&GeneratorOptions>,
    kust_file: &str,
) -> Result<Generated> {
    let options = GeneratorOptions::merged_with_global(args.options.as_ref(), global);
    let kind_name = match kind {
        GeneratorKind::ConfigMap => "ConfigMap",
        GeneratorKind::Secret => "Secret",
    };
    if args.name.is_empty() {
        return Err(
            Error::new(ErrorKind::Generator, "a configmap must have a name")
                .at(ldr.root().join(kust_file)),
        );
    }
    let pairs = load_pairs(ldr, args)
        .map_err(|e| e.wrap("loading KV pairs").at(ldr.root().join(kust_file)))?;
    let mut data: IndexMap<String, Vec<u8>> = IndexMap::new();
    for (k, v) in pairs {
        validate_data_key(&k, kind_name)?;
        if data.contains_key(&k) {
            return Err(Error::new(
                ErrorKind::Generator,
                format!("configmap {} illegally repeats the key `{k}`", args.name),
            )
            .at(ldr.root().join(kust_file)));
        }
        data.insert(k, v);
    }
    data.sort_keys();

    let mut metadata = Mapping::default();
    metadata.insert("name".into(), Value::from(args.name.as_str()));
    if !args.namespace.is_empty() {
        metadata.insert("namespace".into(), Value::from(args.namespace.as_str()));
    }
    let mut obj = Mapping::default();
    obj.insert("apiVersion".into(), Value::from("v1"));
    obj.insert("kind".into(), Value::from(kind_name));
    obj.insert("metadata".into(), Value::Map(metadata));
    match kind {
        GeneratorKind::ConfigMap => {
            let mut text = Mapping::default();
            let mut binary = Mapping::default();
            for (k, v) in data {
                match String::from_utf8(v) {
                    Ok(s) => {
                        text.insert(k, Value::String(s));
                    }
                    Err(e) => {
                        binary.insert(k, Value::String(base64_wrapped(e.as_bytes())));
                    }
                }
            }
            if !text.is_empty() {
                obj.insert("data".into(), Value::Map(text));
            }
            if !binary.is_empty() {
                obj.insert("binaryData".into(), Value::Map(binary));
            }
        }
        GeneratorKind::Secret => {
            let t = if args.type_.is_empty() {
                "Opaque"
            } else {
                args.type_.as_str()
            };
            obj.insert("type".into(), Value::from(t));
            let mut enc = Mapping::default();
            for (k, v) in data {
                enc.insert(k, Value::String(base64_wrapped(&v)));
            }
            obj.insert("data".into(), Value::Map(enc));
        }
    }
    let mut value = Value::Map(obj);
    if let Some(o) = &options {
        let mut labels: Vec<_> = o.labels.iter().flatten().collect();
        labels.sort();
        for (k, v) in labels {
            value
                .ensure_map_path(&["metadata", "labels"])
                .insert(k.clone(), Value::from(v.as_str()));
        }
        let mut annos: Vec<_> = o.annotations.iter().flatten().collect();
        annos.sort();
        for (k, v) in annos {
            value
                .ensure_map_path(&["metadata", "annotations"])
                .insert(k.clone(), Value::from(v.as_str()));
        }
        if o.immutable {
            if let Some(m) = value.as_map_mut() {
                m.insert("immutable".into(), Value::Bool(true));
            }
        }
    }
    let mut resource = Resource::new(
        value,
        Origin {
            path: ldr.root().join(kust_file),
            line: 0,
        },
    );
    resource.needs_hash_suffix = !options.as_ref().is_some_and(|o| o.disable_name_suffix_hash);
    Ok(Generated {
        resource,
        behavior: Behavior::parse(&args.behavior),
    })
}

fn load_pairs(ldr: &Loader<'_>, args: &GeneratorArgs) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for env in &args.envs {
        let bytes = ldr
            .load(env)
            .map_err(|e| e.wrap(format!("env source files: [{}]", args.envs.join(" "))))?;
        out.extend(env_file_pairs(&bytes).map_err(|e| e.at(ldr.resolve(env)))?);
    }
    for lit in &args.literals {
        out.push(parse_literal(lit)?);
    }
    for src in &args.files {
        let (key, path) = parse_file_source(src)?;
        let bytes = ldr.load(&path)?;
        out.push((key, bytes));
    }
    Ok(out)
}

/// `key=value`, with one layer of matching quotes removed from the value.
fn parse_literal(source: &str) -> Result<(String, Vec<u8>)> {
    let bad = || {
        Error::new(
            ErrorKind::Generator,
            format!("invalid literal source {source}, expected key=value"),
        )
    };
    let (k, v) = source.split_once('=').ok_or_else(bad)?;
    if k.is_empty() {
        return Err(bad());
    }
    let b = v.as_bytes();
    let v = if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &v[1..v.len() - 1]
    } else {
        v
    };
    Ok((k.to_string(), v.as_bytes().to_vec()))
}

/// `path` (key = file name) or `key=path`.
fn parse_file_source(source: &str) -> Result<(String, String)> {
    let n = source.matches('=').count();
    let err = |m: String| Error::new(ErrorKind::Generator, m);
    match n {
        0 => {
            let trimmed = source.trim_end_matches('/');
            let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
            Ok((base.to_string(), source.to_string()))
        }
        1 if source.starts_with('=') => Err(err(format!(
            "missing key name for file path \"{}\" in source \"{source}\"",
            &source[1..]
        ))),
        1 if source.ends_with('=') => Err(err(format!(
            "missing file path for key name \"{}\" in source \"{source}\"",
            &source[..source.len() - 1]
        ))),
        1 => {
            let (k, p) = source.split_once('=').unwrap_or((source, ""));
            Ok((k.to_string(), p.to_string()))
        }
        _ => Err(err(format!(
            "source \"{source}\" key name or file path contains '='"
        ))),
    }
}

/// Parses an env file: `KEY=value` lines; blank lines and `#` comments are skipped; a line
/// without `=` gives an empty value.
fn env_file_pairs(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (i, raw) in split_lines(bytes).into_iter().enumerate() {
        let line = if i == 0 {
            raw.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(raw)
        } else {
            raw
        };
        let line = std::str::from_utf8(line).map_err(|_| {
            Error::new(
                ErrorKind::Generator,
                format!("line {i} has invalid utf8 bytes"),
            )
        })?;
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        if !is_env_var_name(k) {
            return Err(Error::new(
                ErrorKind::Generator,
                format!(
                    "\"{k}\" is not a valid key name: a valid environment variable name must \
                     consist of alphabetic characters, digits, '_', '-', or '.', and must not \
                     start with a digit"
                ),
            ));
        }
        out.push((k.to_string(), v.as_bytes().to_vec()));
    }
    Ok(out)
}

/// Splits like Go's `bufio.ScanLines`: `\n` separated, a trailing `\r` dropped, no final empty
/// line.
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        out.push(line.strip_suffix(b"\r".as_slice()).unwrap_or(line));
        rest = next;
    }
    out
}

fn is_env_var_name(k: &str) -> bool {
    !k.is_empty()
        && !k.starts_with(|c: char| c.is_ascii_digit())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

fn validate_data_key(k: &str, kind: &str) -> Result<()> {
    let ok = !k.is_empty()
        && k.len() <= 253
        && k != "."
        && k != ".."
        && !k.starts_with("..")
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Generator,
            format!(
                "\"{k}\" is not a valid key name for a {kind}: a valid config key must consist \
                 of alphanumeric characters, '-', '_' or '.'"
            ),
        ))
    }
}

/// Standard base64; encodings of 70 characters or more are cut into 70-character lines, each
/// followed by a newline (as kustomize does).
pub fn base64_wrapped(data: &[u8]) -> String {
    let enc = base64(data);
    if enc.len() < 70 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / 70 + 1);
    for chunk in enc.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_sources() {
        assert_eq!(
            parse_literal("a=\"b\"").unwrap(),
            ("a".to_string(), b"b".to_vec())
        );
        assert!(parse_literal("=x").is_err());
        assert_eq!(
            parse_file_source("dir/app.properties").unwrap(),
            ("app.properties".into(), "dir/app.properties".into())
        );
        assert!(parse_file_source("a=b=c").is_err());
    }

    #[test]
    fn env_files() {
        let p = env_file_pairs(b"# c\n\nA=1\n  B=x=y\r\nC\n").unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[1], ("B".to_string(), b"x=y".to_vec()));
        assert_eq!(p[2].1, b"".to_vec());
    }

    #[test]
    fn base64_matches_std() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        let long = base64_wrapped(&[b'x'; 60]);
        assert!(long.ends_with('\n'));
    }
}
