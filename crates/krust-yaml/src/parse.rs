//! Multi-document YAML parsing into [`Value`] trees.
//!
//! Scalars are resolved the way kustomize's YAML library (go-yaml v3) resolves them when it decodes
//! into untyped values: YAML 1.2 core booleans and nulls, Go-style integers (`0x`, `0o`, `0b`, the
//! YAML 1.1 leading-zero octal), floats, and timestamps kept as strings.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::value::{Mapping, Value};

/// Nodes deeper than this are rejected instead of overflowing the stack.
const MAX_DEPTH: usize = 512;
/// Upper bound on nodes produced by alias expansion (guards against "billion laughs").
const MAX_ALIAS_NODES: usize = 5_000_000;

/// A YAML syntax or structure error with its position (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What went wrong.
    pub message: String,
}

/// One parsed document and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document's root node (`Null` for an empty document).
    pub value: Value,
    /// 1-based line of the document's first node.
    pub line: usize,
}

/// Parses every document of a YAML stream. Empty documents are returned as `Null`.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, ParseError> {
    let mut builder = Builder {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        peeked: None,
    };
    builder.stream()
}

/// Parses a stream that must hold at most one document; an empty stream gives `Null`.
pub fn parse_one(text: &str) -> Result<Value, ParseError> {
    let docs = parse_documents(text)?;
    let mut non_empty = docs.into_iter().filter(|d| !d.value.is_null());
    let first = non_empty.next().map(|d| d.value).unwrap_or(Value::Null);
    if let Some(extra) = non_empty.next() {
        return Err(ParseError {
            line: extra.line,
            column: 1,
            message: "expected a single YAML document, found several".into(),
        });
    }
    Ok(first)
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Value>,
    alias_budget: usize,
    peeked: Option<(Event<'a>, Span)>,
}

fn err_at(span: &Span, message: impl Into<String>) -> ParseError {
    ParseError {
        line: span.start.line(),
        column: span.start.col() + 1,
        message: message.into(),
    }
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), ParseError> {
        if let Some(ev) = self.peeked.take() {
            return Ok(ev);
        }
        match self.parser.next_event() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(ParseError {
                line: e.marker().line(),
                column: e.marker().col() + 1,
                message: e.info().to_string(),
            }),
            None => Err(ParseError {
                line: 0,
                column: 0,
                message: "unexpected end of YAML stream".into(),
            }),
        }
    }

    fn stream(&mut self) -> Result<Vec<Document>, ParseError> {
        let mut docs = Vec::new();
        loop {
            let (ev, span) = self.next()?;
            match ev {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return Ok(docs),
                Event::DocumentStart(_) => {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::DocumentEnd) {
                        docs.push(Document {
                            value: Value::Null,
                            line: span.start.line(),
                        });
                        continue;
                    }
                    let line = span.start.line();
                    let value = self.node(ev, span, 0)?;
                    let (end, end_span) = self.next()?;
                    if !matches!(end, Event::DocumentEnd) {
                        return Err(err_at(&end_span, "expected end of document"));
                    }
                    docs.push(Document { value, line });
                    self.anchors.clear();
                }
                _ => return Err(err_at(&span, "unexpected YAML event")),
            }
        }
    }

    fn remember(&mut self, anchor: usize, value: &Value) {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
    }

    fn node(&mut self, ev: Event<'a>, span: Span, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return Err(err_at(&span, "YAML nesting is too deep"));
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value =
                    resolve_scalar(&text, style, tag.as_deref()).map_err(|m| err_at(&span, m))?;
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::Alias(id) => {
                let value = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| err_at(&span, "unknown anchor referenced by alias"))?;
                let cost = count_nodes(&value);
                if cost > self.alias_budget {
                    return Err(err_at(&span, "alias expansion is too large"));
                }
                self.alias_budget -= cost;
                Ok(value)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev, span, depth + 1)?);
                }
                let value = Value::Seq(items);
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::MappingStart(anchor, _) => {
                let value = Value::Map(self.mapping(depth)?);
                self.remember(anchor, &value);
                Ok(value)
            }
            _ => Err(err_at(&span, "unexpected YAML event")),
        }
    }

    fn mapping(&mut self, depth: usize) -> Result<Mapping, ParseError> {
        let mut map = Mapping::new();
        let mut merges: Vec<Value> = Vec::new();
        let mut key_lines: HashMap<String, usize> = HashMap::new();
        loop {
            let (ev, span) = self.next()?;
            if matches!(ev, Event::MappingEnd) {
                break;
            }
            let is_merge =
                matches!(&ev, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
            let key_value = self.node(ev, span, depth + 1)?;
            let (vev, vspan) = self.next()?;
            let value = self.node(vev, vspan, depth + 1)?;
            if is_merge {
                merges.push(value);
                continue;
            }
            let key = key_text(&key_value)
                .ok_or_else(|| err_at(&span, "mapping keys must be scalars"))?;
            if let Some(first) = key_lines.get(&key) {
                return Err(err_at(
                    &span,
                    format!("mapping key \"{key}\" already defined at line {first}"),
                ));
            }
            key_lines.insert(key.clone(), span.start.line());
            map.insert(key, value);
        }
        // Explicit keys win over merged ones; earlier merge sources win over later ones.
        for source in merges {
            let sources = match source {
                Value::Seq(items) => items,
                other => vec![other],
            };
            for src in sources {
                match src {
                    Value::Map(m) => {
                        for (k, v) in m {
                            map.entry(k).or_insert(v);
                        }
                    }
                    Value::Null => {}
                    _ => {
                        return Err(ParseError {
                            line: 0,
                            column: 0,
                            message: "map merge requires map or sequence of maps as the value"
                                .into(),
                        })
                    }
                }
            }
        }
        Ok(map)
    }
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Seq(s) => 1 + s.iter().map(count_nodes).sum::<usize>(),
        Value::Map(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// The text used as a mapping key for a scalar key node.
fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("null".into()),
        Value::Seq(_) | Value::Map(_) => None,
        other => other.scalar_text(),
    }
}

fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
            return resolve_tagged(text, &tag.suffix);
        }
        // Local tags (`!foo`) are kept as untyped scalars.
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    Ok(resolve_plain(text))
}

fn resolve_tagged(text: &str, suffix: &str) -> Result<Value, String> {
    match suffix {
        "str" | "binary" | "timestamp" => Ok(Value::String(text.to_string())),
        "null" => Ok(Value::Null),
        "bool" => match resolve_plain(text) {
            v @ Value::Bool(_) => Ok(v),
            _ => Err(format!("cannot decode !!str `{text}` as a !!bool")),
        },
        "int" => match resolve_plain(text) {
            v @ Value::Int(_) => Ok(v),
            _ => Err(format!("cannot decode !!str `{text}` as a !!int")),
        },
        "float" => match resolve_plain(text) {
            Value::Int(i) => Ok(Value::Float(i as f64)),
            v @ Value::Float(_) => Ok(v),
            _ => Err(format!("cannot decode !!str `{text}` as a !!float")),
        },
        _ => Ok(resolve_plain(text)),
    }
}

/// Resolves an untagged plain scalar as go-yaml v3 does when decoding into `interface{}`.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Value::String(text.to_string());
    }
    if first != b'.' && looks_like_timestamp(text) {
        return Value::String(text.to_string());
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return Value::Int(i);
    }
    if is_yaml_style_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::String(text.to_string())
}

/// `strconv.ParseInt(s, 0, 64)` (and `ParseUint`, mapped to a float when out of range).
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, r)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if magnitude <= i64::MAX as u64 {
        Some(magnitude as i64)
    } else {
        None
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// The timestamp forms go-yaml accepts (`2006-01-02`, `2006-01-02T15:04:05Z`, …): they stay strings.
pub(crate) fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    // At least YYYY-M-D.
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    let month_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if !(1..=2).contains(&(i - month_start)) || i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    let day_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if !(1..=2).contains(&(i - day_start)) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    // A time part must follow a 'T', 't' or spaces.
    matches!(b[i], b'T' | b't' | b' ' | b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_scalars_like_go_yaml_v3() {
        assert_eq!(resolve_plain("8080"), Value::Int(8080));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("0777"), Value::Int(511));
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("yes"), Value::from("yes"));
        assert_eq!(resolve_plain("True"), Value::Bool(true));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("2001-12-14"), Value::from("2001-12-14"));
        assert_eq!(resolve_plain("1.2.3"), Value::from("1.2.3"));
        assert_eq!(resolve_plain("-"), Value::from("-"));
    }

    #[test]
    fn parses_documents_anchors_and_merges() {
        let docs = parse_documents("a: &x {b: 1}\nc: *x\n---\n<<: {k: v}\nk: w\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value.get_path(&["c", "b"]), Some(&Value::Int(1)));
        assert_eq!(docs[1].value.str_at(&["k"]), Some("w"));
        assert_eq!(docs[1].line, 4);
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_carry_positions() {
        let e = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.message.contains("already defined at line 1"), "{e}");
        let e = parse_documents("a: [1, 2\n").unwrap_err();
        assert!(e.line >= 1);
    }

    #[test]
    fn never_panics_on_garbage() {
        for input in [
            "\u{0}\u{1}",
            ":",
            "- - - -",
            "&a *a",
            "*x",
            "{",
            "'",
            "|\n x\n y",
            "? [a]\n: b",
        ] {
            let _ = parse_documents(input);
        }
    }
}
