//! The `sops` metadata block: master keys, MAC, encryption selectors.

use crate::error::{Error, Result};
use crate::tree::{go_float_f, Branch, Item, Value};

/// An age master key entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeKey {
    /// The recipient (`age1…` or an SSH public key).
    pub recipient: String,
    /// The armored age file holding the data key (or Shamir share).
    pub enc: String,
}

/// A PGP master key entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgpKey {
    /// The key fingerprint.
    pub fp: String,
    /// The armored PGP message holding the data key (or Shamir share).
    pub enc: String,
    /// When the entry was created (RFC 3339).
    pub created_at: String,
}

/// One key group; a data key (or one Shamir share of it) is wrapped by each key of the group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyGroup {
    /// age keys.
    pub age: Vec<AgeKey>,
    /// PGP keys.
    pub pgp: Vec<PgpKey>,
    /// Keys of types krust cannot use (kms, gcp_kms, azure_kv, hc_vault, hckms): (type, id).
    pub other: Vec<(String, String)>,
    /// The raw entries of unsupported key types, kept to write them back unchanged.
    pub other_raw: Vec<(String, Value)>,
}

/// Which values get encrypted (at most one selector is set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selectors {
    /// `unencrypted_suffix`.
    pub unencrypted_suffix: Option<String>,
    /// `encrypted_suffix`.
    pub encrypted_suffix: Option<String>,
    /// `unencrypted_regex`.
    pub unencrypted_regex: Option<String>,
    /// `encrypted_regex`.
    pub encrypted_regex: Option<String>,
    /// `unencrypted_comment_regex`.
    pub unencrypted_comment_regex: Option<String>,
    /// `encrypted_comment_regex`.
    pub encrypted_comment_regex: Option<String>,
}

impl Selectors {
    /// How many selectors are set.
    pub fn count(&self) -> usize {
        [
            &self.unencrypted_suffix,
            &self.encrypted_suffix,
            &self.unencrypted_regex,
            &self.encrypted_regex,
            &self.unencrypted_comment_regex,
            &self.encrypted_comment_regex,
        ]
        .iter()
        .filter(|s| s.is_some())
        .count()
    }
}

/// The SOPS metadata of a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Key groups (one group unless `key_groups` was used).
    pub key_groups: Vec<KeyGroup>,
    /// Whether the file used the `key_groups` form.
    pub grouped: bool,
    /// `shamir_threshold` (0 = unset).
    pub shamir_threshold: usize,
    /// `lastmodified` (RFC 3339), the MAC's additional data.
    pub last_modified: String,
    /// The encrypted MAC.
    pub mac: String,
    /// Encryption selectors.
    pub selectors: Selectors,
    /// `mac_only_encrypted`.
    pub mac_only_encrypted: bool,
    /// `version`.
    pub version: String,
}

impl Metadata {
    /// The number of key groups needed to recover the data key.
    pub fn threshold(&self) -> usize {
        if self.shamir_threshold == 0 {
            self.key_groups.len()
        } else {
            self.shamir_threshold
        }
    }

    /// All master keys, for display (`age:…`, `pgp:…`).
    pub fn key_names(&self) -> Vec<String> {
        let mut v = Vec::new();
        for g in &self.key_groups {
            v.extend(g.age.iter().map(|a| format!("age:{}", a.recipient)));
            v.extend(g.pgp.iter().map(|p| format!("pgp:{}", p.fp)));
            v.extend(g.other.iter().map(|(k, id)| format!("{k}:{id}")));
        }
        v
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    Some(match v {
        Value::Str(s) | Value::Time(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => go_float_f(*f),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    })
}

fn md_err(m: impl Into<String>) -> Error {
    Error::Metadata(m.into())
}

fn list<'a>(v: &'a Value, what: &str) -> Result<Vec<&'a Branch>> {
    match v {
        Value::Null => Ok(vec![]),
        Value::Seq(items) => items
            .iter()
            .filter(|i| !matches!(i, Value::Comment(_)))
            .map(|i| match i {
                Value::Map(b) => Ok(b),
                _ => Err(md_err(format!("`{what}` entries must be mappings"))),
            })
            .collect(),
        Value::Map(m) if m.is_empty() => Ok(vec![]),
        _ => Err(md_err(format!("`{what}` must be a list"))),
    }
}

fn field(b: &Branch, key: &str) -> String {
    crate::tree::branch_get(b, key)
        .and_then(scalar_string)
        .unwrap_or_default()
}

const OTHER_KINDS: [(&str, &str); 5] = [
    ("kms", "arn"),
    ("gcp_kms", "resource_id"),
    ("azure_kv", "vault_url"),
    ("hc_vault", "vault_address"),
    ("hckms", "key_id"),
];

fn parse_group(b: &Branch) -> Result<KeyGroup> {
    let mut g = KeyGroup::default();
    if let Some(v) = crate::tree::branch_get(b, "age") {
        for e in list(v, "age")? {
            g.age.push(AgeKey {
                recipient: field(e, "recipient"),
                enc: field(e, "enc"),
            });
        }
    }
    if let Some(v) = crate::tree::branch_get(b, "pgp") {
        for e in list(v, "pgp")? {
            g.pgp.push(PgpKey {
                fp: field(e, "fp"),
                enc: field(e, "enc"),
                created_at: field(e, "created_at"),
            });
        }
    }
    for (kind, idf) in OTHER_KINDS {
        if let Some(v) = crate::tree::branch_get(b, kind) {
            let entries = list(v, kind)?;
            if !entries.is_empty() {
                g.other_raw.push((kind.to_string(), v.clone()));
            }
            for e in entries {
                g.other.push((kind.to_string(), field(e, idf)));
            }
        }
    }
    Ok(g)
}

/// Reads metadata from the (unflattened) `sops` mapping.
pub fn from_branch(b: &Branch) -> Result<Metadata> {
    let mut md = Metadata::default();
    let get = |k: &str| crate::tree::branch_get(b, k);
    if let Some(v) = get("key_groups") {
        for g in list(v, "key_groups")? {
            md.key_groups.push(parse_group(g)?);
        }
        md.grouped = true;
    }
    if !md.grouped || md.key_groups.is_empty() {
        let g = parse_group(b)?;
        md.key_groups = vec![g];
        md.grouped = false;
    }
    if let Some(v) = get("shamir_threshold") {
        let s = scalar_string(v).unwrap_or_default();
        md.shamir_threshold = if s.is_empty() {
            0
        } else {
            s.parse()
                .map_err(|_| md_err(format!("`shamir_threshold` is not a number: {s:?}")))?
        };
    }
    md.last_modified = get("lastmodified")
        .and_then(scalar_string)
        .ok_or_else(|| md_err("missing `lastmodified`"))?;
    md.mac = get("mac").and_then(scalar_string).unwrap_or_default();
    md.version = get("version").and_then(scalar_string).unwrap_or_default();
    let opt = |k: &str| get(k).and_then(scalar_string).filter(|s| !s.is_empty());
    md.selectors = Selectors {
        unencrypted_suffix: opt("unencrypted_suffix"),
        encrypted_suffix: opt("encrypted_suffix"),
        unencrypted_regex: opt("unencrypted_regex"),
        encrypted_regex: opt("encrypted_regex"),
        unencrypted_comment_regex: opt("unencrypted_comment_regex"),
        encrypted_comment_regex: opt("encrypted_comment_regex"),
    };
    if md.selectors.count() > 1 {
        return Err(md_err(
            "more than one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, \
             encrypted_regex, unencrypted_comment_regex, encrypted_comment_regex is set",
        ));
    }
    md.mac_only_encrypted = match get("mac_only_encrypted") {
        Some(Value::Bool(b)) => *b,
        Some(v) => matches!(
            scalar_string(v).as_deref(),
            Some("true" | "True" | "TRUE" | "1" | "t" | "T")
        ),
        None => false,
    };
    Ok(md)
}

fn group_items(g: &KeyGroup) -> Vec<(String, Value)> {
    let mut items: Vec<(String, Value)> = Vec::new();
    if !g.age.is_empty() {
        let v = g
            .age
            .iter()
            .map(|a| {
                Value::Map(vec![
                    Item::Pair("enc".into(), Value::Str(a.enc.clone())),
                    Item::Pair("recipient".into(), Value::Str(a.recipient.clone())),
                ])
            })
            .collect();
        items.push(("age".into(), Value::Seq(v)));
    }
    if !g.pgp.is_empty() {
        let v = g
            .pgp
            .iter()
            .map(|p| {
                Value::Map(vec![
                    Item::Pair("created_at".into(), Value::Str(p.created_at.clone())),
                    Item::Pair("enc".into(), Value::Str(p.enc.clone())),
                    Item::Pair("fp".into(), Value::Str(p.fp.clone())),
                ])
            })
            .collect();
        items.push(("pgp".into(), Value::Seq(v)));
    }
    items.extend(g.other_raw.iter().cloned());
    items
}

/// Writes metadata as the `sops` mapping, keys in the order Go sops 3.13 writes them
/// (alphabetical, empty fields omitted).
pub fn to_branch(md: &Metadata) -> Branch {
    let mut items: Vec<(String, Value)> = Vec::new();
    if md.key_groups.len() > 1 {
        let groups = md
            .key_groups
            .iter()
            .map(|g| {
                let mut it = group_items(g);
                it.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Map(it.into_iter().map(|(k, v)| Item::Pair(k, v)).collect())
            })
            .collect();
        items.push(("key_groups".into(), Value::Seq(groups)));
    } else if let Some(g) = md.key_groups.first() {
        items.extend(group_items(g));
    }
    if md.shamir_threshold > 0 {
        items.push((
            "shamir_threshold".into(),
            Value::Int(md.shamir_threshold as i64),
        ));
    }
    items.push(("lastmodified".into(), Value::Str(md.last_modified.clone())));
    items.push(("mac".into(), Value::Str(md.mac.clone())));
    let s = &md.selectors;
    for (k, v) in [
        ("unencrypted_suffix", &s.unencrypted_suffix),
        ("encrypted_suffix", &s.encrypted_suffix),
        ("unencrypted_regex", &s.unencrypted_regex),
        ("encrypted_regex", &s.encrypted_regex),
        ("unencrypted_comment_regex", &s.unencrypted_comment_regex),
        ("encrypted_comment_regex", &s.encrypted_comment_regex),
    ] {
        if let Some(v) = v {
            items.push((k.into(), Value::Str(v.clone())));
        }
    }
    if md.mac_only_encrypted {
        items.push(("mac_only_encrypted".into(), Value::Bool(true)));
    }
    items.push(("version".into(), Value::Str(md.version.clone())));
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.into_iter().map(|(k, v)| Item::Pair(k, v)).collect()
}

const MAP_SEP: &str = "__map_";
const LIST_SEP: &str = "__list_";

enum Tok {
    Key(String),
    Idx(usize),
}

fn tokenize(path: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut state = 0; // 0 normal, 1 map, 2 list
    let mut last = 0;
    let mut i = 0;
    let finish = |state: i32, from: usize, to: usize, toks: &mut Vec<Tok>| match state {
        0 => toks.push(Tok::Key(path[from..to].to_string())),
        1 => toks.push(Tok::Key(path[from + MAP_SEP.len()..to].to_string())),
        _ => toks.push(Tok::Idx(
            path[from + LIST_SEP.len()..to].parse().unwrap_or(0),
        )),
    };
    while i < path.len() {
        if path[i..].starts_with(MAP_SEP) {
            finish(state, last, i, &mut toks);
            last = i;
            state = 1;
            i += MAP_SEP.len();
        } else if path[i..].starts_with(LIST_SEP) {
            finish(state, last, i, &mut toks);
            last = i;
            state = 2;
            i += LIST_SEP.len();
        } else {
            i += path[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    finish(state, last, i, &mut toks);
    toks
}

#[derive(Default)]
struct Node {
    value: Option<Value>,
    keys: Vec<(String, Node)>,
    idx: Vec<(usize, Node)>,
}

fn convert(n: Node) -> Result<Value> {
    let kinds = n.value.is_some() as u8 + !n.keys.is_empty() as u8 + !n.idx.is_empty() as u8;
    if kinds > 1 {
        return Err(md_err("flattened metadata: type mismatch"));
    }
    if let Some(v) = n.value {
        return Ok(v);
    }
    if !n.idx.is_empty() {
        let mut idx = n.idx;
        idx.sort_by_key(|e| e.0);
        if idx.iter().enumerate().any(|(i, e)| e.0 != i) {
            return Err(md_err("flattened metadata: incomplete list"));
        }
        return Ok(Value::Seq(
            idx.into_iter()
                .map(|(_, n)| convert(n))
                .collect::<Result<_>>()?,
        ));
    }
    let mut keys = n.keys;
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Value::Map(
        keys.into_iter()
            .map(|(k, n)| Ok(Item::Pair(k, convert(n)?)))
            .collect::<Result<_>>()?,
    ))
}

/// Rebuilds the metadata tree from flattened `key → value` pairs (dotenv, INI).
pub fn unflatten(items: Vec<(String, Value)>) -> Result<Branch> {
    let mut root = Node::default();
    for (key, value) in items {
        let mut cur = &mut root;
        for t in tokenize(&key) {
            cur = match t {
                Tok::Key(k) => {
                    let pos = match cur.keys.iter().position(|e| e.0 == k) {
                        Some(p) => p,
                        None => {
                            cur.keys.push((k, Node::default()));
                            cur.keys.len() - 1
                        }
                    };
                    &mut cur.keys[pos].1
                }
                Tok::Idx(i) => {
                    let pos = match cur.idx.iter().position(|e| e.0 == i) {
                        Some(p) => p,
                        None => {
                            cur.idx.push((i, Node::default()));
                            cur.idx.len() - 1
                        }
                    };
                    &mut cur.idx[pos].1
                }
            };
        }
        if cur.value.is_some() {
            return Err(md_err(format!("flattened metadata: duplicate key {key:?}")));
        }
        cur.value = Some(value);
    }
    match convert(root)? {
        Value::Map(b) => Ok(b),
        _ => Err(md_err("flattened metadata: cannot find root")),
    }
}

/// Flattens a metadata tree into `key → scalar` pairs with `__map_` / `__list_` separators.
pub fn flatten(b: &Branch, prefix: &str, out: &mut Vec<(String, Value)>) {
    for item in b {
        if let Item::Pair(k, v) = item {
            flatten_value(v, format!("{prefix}{k}"), out);
        }
    }
}

fn flatten_value(v: &Value, key: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Map(b) => flatten(b, &format!("{key}{MAP_SEP}"), out),
        Value::Seq(items) => {
            for (i, it) in items
                .iter()
                .filter(|i| !matches!(i, Value::Comment(_)))
                .enumerate()
            {
                flatten_value(it, format!("{key}{LIST_SEP}{i}"), out);
            }
        }
        v => out.push((key, v.clone())),
    }
}
