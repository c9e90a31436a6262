//! The value tree: a JSON-like model of one YAML document.
//!
//! kustomize prints every resource by converting it to JSON and back to YAML, so comments, anchors,
//! key order and scalar styles of the input never reach the output. Only the *resolved type* of each
//! scalar matters (`8080` is an integer, `"8080"` a string). That is what this model keeps.

use indexmap::IndexMap;

/// The hasher of [`Mapping`]: foldhash, seeded per process. Key lookups are the hottest path of
/// a build, and the standard library's SipHash cost about a tenth of a Flux render.
pub type MapHasher = foldhash::fast::RandomState;

/// An ordered mapping with string keys (insertion order is kept; emitters decide output order).
/// Create one with `Mapping::default()` or `Mapping::with_capacity_and_hasher`.
pub type Mapping = IndexMap<String, Value, MapHasher>;

/// One YAML node after tag resolution.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`, `~` or an empty scalar.
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A floating point number (also integers too large for `i64`).
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Value>),
    /// A mapping.
    Map(Mapping),
}

impl Value {
    /// An empty mapping.
    pub fn new_map() -> Value {
        Value::Map(Mapping::default())
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping, if this is a mapping.
    pub fn as_map(&self) -> Option<&Mapping> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, mutably, if this is a mapping.
    pub fn as_map_mut(&mut self) -> Option<&mut Mapping> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence, if this is a sequence.
    pub fn as_seq(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The sequence, mutably, if this is a sequence.
    pub fn as_seq_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Looks up `key` in a mapping; `None` for other kinds or a missing key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// Mutable lookup of `key` in a mapping.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.as_map_mut().and_then(|m| m.get_mut(key))
    }

    /// Follows a path of mapping keys, e.g. `["metadata", "name"]`.
    pub fn get_path(&self, path: &[&str]) -> Option<&Value> {
        let mut cur = self;
        for key in path {
            cur = cur.get(key)?;
        }
        Some(cur)
    }

    /// Follows a path of mapping keys mutably.
    pub fn get_path_mut(&mut self, path: &[&str]) -> Option<&mut Value> {
        let mut cur = self;
        for key in path {
            cur = cur.get_mut(key)?;
        }
        Some(cur)
    }

    /// The string at a path of mapping keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.get_path(path).and_then(Value::as_str)
    }

    /// Returns the mapping at `path`, creating empty mappings on the way (and replacing
    /// null or non-mapping values). `self` must be a mapping or null.
    pub fn ensure_map_path(&mut self, path: &[&str]) -> &mut Mapping {
        let mut cur = self;
        for key in path {
            if !matches!(cur, Value::Map(_)) {
                *cur = Value::new_map();
            }
            let Value::Map(m) = cur else { unreachable!() };
            cur = m.entry((*key).to_string()).or_insert(Value::Null);
        }
        if !matches!(cur, Value::Map(_)) {
            *cur = Value::new_map();
        }
        match cur {
            Value::Map(m) => m,
            _ => unreachable!(),
        }
    }

    /// A short name of the node kind, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }

    /// The scalar rendered as kustomize renders a scalar field value as text (e.g. for
    /// replacements and vars): strings as-is, numbers and bools in their canonical form.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Value::Null => Some(String::new()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(crate::emit::format_float(*f)),
            Value::String(s) => Some(s.clone()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<Mapping> for Value {
    fn from(m: Mapping) -> Self {
        Value::Map(m)
    }
}

impl From<Vec<Value>> for Value {
    fn from(s: Vec<Value>) -> Self {
        Value::Seq(s)
    }
}
