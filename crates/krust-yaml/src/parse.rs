//! Multi-document YAML parsing into [`Value`] trees.
//!
//! Scalars are resolved the way kustomize's YAML library (go-yaml v3) resolves them when it decodes
//! into untyped values (see the `resolve` module): YAML 1.2 core booleans and nulls, Go-style
//! integers (`0x`, `0o`, `0b`, the YAML 1.1 leading-zero octal), floats, and timestamps — which
//! become the RFC 3339 text kustomize prints for them (`2001-12-14` → `2001-12-14T00:00:00Z`).
//! Quoted and block scalars are strings; `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
//! `!!timestamp` and `!!binary` (base64, decoded) tags are honoured; other tags leave the text as a
//! string.
//!
//! Mapping keys are kept as their source text (`0x1F: a` has the key `"0x1F"`), as go-yaml does
//! when it decodes a key into a Go string.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::resolve::{decode_base64, go_lossy_utf8, resolve_plain_v3, resolve_plain_v3_typed};
use crate::value::{Mapping, Value};

/// Nodes deeper than this are rejected instead of overflowing the stack.
const MAX_DEPTH: usize = 256;
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

/// How strictly [`parse_documents_with`] reads a stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Reject mappings below the document root whose keys are not all strings (`1: x`,
    /// `true: x`, `~: x`, unquoted timestamps). kustomize reads such a mapping into a Go map with
    /// non-string keys, which its JSON stage cannot print (`json: unsupported type`), so a
    /// resource holding one fails to build. Keys of the root mapping are always accepted, as
    /// their text (go-yaml decodes them into Go strings).
    pub resource_keys: bool,
}

/// Parses every document of a YAML stream. Empty documents are returned as `Null`.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, ParseError> {
    parse_documents_with(text, ParseOptions::default())
}

/// [`parse_documents`] with options.
pub fn parse_documents_with(
    text: &str,
    options: ParseOptions,
) -> Result<Vec<Document>, ParseError> {
    check_characters(text)?;
    let mut builder = Builder {
        text,
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        peeked: None,
        options,
    };
    builder.stream()
}

/// Parses raw file contents: UTF-8 (an optional BOM is skipped) or UTF-16 with a BOM, as
/// go-yaml accepts. Invalid encoding is an error carrying the position of the offending byte.
pub fn parse_bytes(bytes: &[u8]) -> Result<Vec<Document>, ParseError> {
    parse_bytes_with(bytes, ParseOptions::default())
}

/// [`parse_bytes`] with options.
pub fn parse_bytes_with(bytes: &[u8], options: ParseOptions) -> Result<Vec<Document>, ParseError> {
    let text = decode_text(bytes)?;
    parse_documents_with(&text, options)
}

/// Turns file bytes into text the way go-yaml's reader does (UTF-8, or UTF-16 with a BOM).
pub fn decode_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, ParseError> {
    use std::borrow::Cow;
    let utf16 = |little: bool| -> Result<Cow<'_, str>, ParseError> {
        let body = &bytes[2..];
        if body.len() % 2 != 0 {
            return Err(position_error(
                bytes,
                bytes.len() - 1,
                "incomplete UTF-16 character",
            ));
        }
        let units = body.chunks_exact(2).map(|c| {
            if little {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        let mut out = String::with_capacity(body.len() / 2);
        for (i, r) in char::decode_utf16(units).enumerate() {
            match r {
                Ok(c) => out.push(c),
                Err(_) => {
                    return Err(position_error(
                        bytes,
                        2 + 2 * i,
                        "invalid UTF-16 surrogate pair",
                    ))
                }
            }
        }
        Ok(Cow::Owned(out))
    };
    match bytes {
        [0xFF, 0xFE, ..] => utf16(true),
        [0xFE, 0xFF, ..] => utf16(false),
        _ => {
            let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
            match std::str::from_utf8(body) {
                Ok(s) => Ok(Cow::Borrowed(s)),
                Err(e) => {
                    let at = bytes.len() - body.len() + e.valid_up_to();
                    Err(position_error(bytes, at, utf8_problem(&bytes[at..])))
                }
            }
        }
    }
}

/// Names what is wrong with the UTF-8 sequence starting `rest`, in go-yaml's words.
fn utf8_problem(rest: &[u8]) -> &'static str {
    let lead = rest[0];
    let width = match lead {
        0x00..=0x7F => 1,
        _ if lead & 0xE0 == 0xC0 => 2,
        _ if lead & 0xF0 == 0xE0 => 3,
        _ if lead & 0xF8 == 0xF0 => 4,
        _ => return "invalid leading UTF-8 octet",
    };
    if rest.len() < width {
        return "incomplete UTF-8 octet sequence";
    }
    if rest[1..width].iter().any(|b| b & 0xC0 != 0x80) {
        return "invalid trailing UTF-8 octet";
    }
    let mut value = u32::from(lead) & [0x7F, 0x1F, 0x0F, 0x07][width - 1];
    for b in &rest[1..width] {
        value = (value << 6) | u32::from(b & 0x3F);
    }
    let shortest = match width {
        1 => true,
        2 => value >= 0x80,
        3 => value >= 0x800,
        _ => value >= 0x10000,
    };
    if !shortest {
        "invalid length of a UTF-8 sequence"
    } else {
        "invalid Unicode character"
    }
}

/// An error at byte `at` of `bytes`, with its 1-based line and column (in characters).
fn position_error(bytes: &[u8], at: usize, message: &str) -> ParseError {
    let before = &bytes[..at.min(bytes.len())];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    ParseError {
        line,
        column,
        message: message.to_string(),
    }
}

/// go-yaml's reader accepts only printable characters plus tab, line feed and carriage return.
fn check_characters(text: &str) -> Result<(), ParseError> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    // Fast path: plain ASCII text without control characters.
    if text
        .bytes()
        .all(|b| (0x20..0x7F).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return Ok(());
    }
    match text.char_indices().find(|(_, c)| !allowed(*c)) {
        None => Ok(()),
        Some((at, c)) => Err(position_error(
            text.as_bytes(),
            at,
            &format!("control characters are not allowed (U+{:04X})", c as u32),
        )),
    }
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
    text: &'a str,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    peeked: Option<(Event<'a>, Span)>,
    options: ParseOptions,
}

/// A parsed node with what mapping keys need to know about it.
#[derive(Clone)]
struct Node {
    value: Value,
    /// The source text of a scalar (what go-yaml puts in a Go string key).
    key_text: Option<String>,
    /// Whether go-yaml's `ShortTag` of the node is `!!str` (or `!!merge`).
    string_key: bool,
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
            Some(Err(e)) => {
                let (line, col) = (e.marker().line(), e.marker().col());
                let message = if e.info().contains("unknown anchor") {
                    match alias_name_at(self.text, line, col) {
                        Some(name) => format!("unknown anchor '{name}' referenced"),
                        None => "unknown anchor referenced".to_string(),
                    }
                } else {
                    e.info().to_string()
                };
                Err(ParseError {
                    line,
                    column: col + 1,
                    message,
                })
            }
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
                    let value = self.node(ev, span, 0, false)?.value;
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

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    /// Builds one node (with everything nested in it) starting at `ev`, without recursion: open
    /// collections live on an explicit stack, so nesting depth costs heap, not call stack.
    fn node(
        &mut self,
        ev: Event<'a>,
        span: Span,
        depth: usize,
        as_key: bool,
    ) -> Result<Node, ParseError> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut next = Some((ev, span));
        loop {
            let (ev, span) = match next.take() {
                Some(e) => e,
                None => self.next()?,
            };
            let level = depth + stack.len();
            let wants_key = match stack.last() {
                Some(Frame::Map(m)) => m.pending_key.is_none(),
                Some(Frame::Seq { .. }) => false,
                None => as_key,
            };
            let is_merge_key = wants_key
                && !stack.is_empty()
                && matches!(&ev, Event::Scalar(t, ScalarStyle::Plain, _, tag)
                    if t == "<<" && tag.as_ref().is_none_or(|t| (t.handle == "!" && t.suffix.is_empty()) || is_core(t, "merge")));
            let done: Node = match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) if level >= MAX_DEPTH => {
                    return Err(err_at(
                        &span,
                        format!("YAML nesting is deeper than {MAX_DEPTH} levels"),
                    ));
                }
                Event::SequenceStart(anchor, _) => {
                    stack.push(Frame::Seq {
                        items: Vec::new(),
                        anchor,
                    });
                    continue;
                }
                Event::MappingStart(anchor, _) => {
                    stack.push(Frame::Map(Box::new(MapFrame {
                        anchor,
                        nested: level > 0,
                        ..MapFrame::default()
                    })));
                    continue;
                }
                Event::SequenceEnd => match stack.pop() {
                    Some(Frame::Seq { items, anchor }) => {
                        let node = Node {
                            value: Value::Seq(items),
                            key_text: None,
                            string_key: false,
                        };
                        self.remember(anchor, &node);
                        node
                    }
                    _ => return Err(err_at(&span, "unexpected end of sequence")),
                },
                Event::MappingEnd => match stack.pop() {
                    Some(Frame::Map(m)) => {
                        let anchor = m.anchor;
                        let node = Node {
                            value: Value::Map(m.finish(self.options)?),
                            key_text: None,
                            string_key: false,
                        };
                        self.remember(anchor, &node);
                        node
                    }
                    _ => return Err(err_at(&span, "unexpected end of mapping")),
                },
                Event::Scalar(mut text, style, anchor, tag) => {
                    if style == ScalarStyle::Folded && tag.is_none() {
                        if let Some(t) = crate::resolve::kyaml_folded_roundtrip(&text) {
                            text = std::borrow::Cow::Owned(t);
                        }
                    }
                    let resolved = resolve_scalar(&text, style, tag.as_deref())
                        .map_err(|m| err_at(&span, m))?;
                    let keep_text = wants_key || anchor != 0;
                    let node = match resolved {
                        Resolved::Text => {
                            let owned = text.into_owned();
                            Node {
                                value: if wants_key && anchor == 0 {
                                    Value::Null
                                } else {
                                    Value::String(owned.clone())
                                },
                                key_text: keep_text.then_some(owned),
                                string_key: true,
                            }
                        }
                        Resolved::Value(value, string_key) => Node {
                            value,
                            key_text: keep_text.then(|| text.into_owned()),
                            string_key,
                        },
                    };
                    self.remember(anchor, &node);
                    node
                }
                Event::Alias(id) => {
                    let node = self
                        .anchors
                        .get(&id)
                        .ok_or_else(|| err_at(&span, "unknown anchor referenced by alias"))?;
                    let cost = count_nodes(&node.value);
                    if cost > self.alias_budget {
                        return Err(err_at(
                            &span,
                            "alias expansion is too large (more than 5,000,000 nodes)",
                        ));
                    }
                    self.alias_budget -= cost;
                    node.clone()
                }
                _ => return Err(err_at(&span, "unexpected YAML event")),
            };
            // Hand the finished node to the collection that is open, or return it.
            match stack.last_mut() {
                None => return Ok(done),
                Some(Frame::Seq { items, .. }) => items.push(done.value),
                Some(Frame::Map(m)) => match m.pending_key.take() {
                    None => m.pending_key = Some((done, span, is_merge_key)),
                    Some((key, key_span, is_merge)) => {
                        m.add(key, key_span, is_merge, done.value)?
                    }
                },
            }
        }
    }
}

/// A collection being built by [`Builder::node`].
enum Frame {
    Seq { items: Vec<Value>, anchor: usize },
    Map(Box<MapFrame>),
}

/// A mapping being built: its entries so far and what the checks need.
#[derive(Default)]
struct MapFrame {
    anchor: usize,
    /// Below the document root (non-string keys matter there, see [`ParseOptions`]).
    nested: bool,
    map: Mapping,
    /// Line of each key, by the key's index in `map` (for duplicate-key errors).
    key_lines: Vec<usize>,
    merges: Vec<(Value, Span)>,
    merge_line: Option<usize>,
    non_string_key: Option<Span>,
    /// A key waiting for its value, its position, and whether it is a merge key (`<<`).
    pending_key: Option<(Node, Span, bool)>,
}

impl MapFrame {
    fn add(
        &mut self,
        key: Node,
        span: Span,
        is_merge: bool,
        value: Value,
    ) -> Result<(), ParseError> {
        let key_text = match key.key_text {
            Some(_) if matches!(key.value, Value::Null) && !key.string_key => String::new(),
            Some(t) => t,
            None => {
                return Err(err_at(
                    &span,
                    format!(
                        "invalid map key: a {} cannot be a mapping key",
                        key.value.kind_name()
                    ),
                ))
            }
        };
        let first = if is_merge {
            self.merge_line
        } else {
            self.map.get_index_of(&key_text).map(|i| self.key_lines[i])
        };
        if let Some(first) = first {
            return Err(err_at(
                &span,
                format!("mapping key \"{key_text}\" already defined at line {first}"),
            ));
        }
        if is_merge {
            self.merge_line = Some(span.start.line());
            self.merges.push((value, span));
            return Ok(());
        }
        if !key.string_key && self.non_string_key.is_none() {
            self.non_string_key = Some(span);
        }
        self.key_lines.push(span.start.line());
        self.map.insert(key_text, value);
        Ok(())
    }

    fn finish(self, options: ParseOptions) -> Result<Mapping, ParseError> {
        let MapFrame {
            nested,
            mut map,
            merges,
            non_string_key,
            ..
        } = self;
        if let (Some(span), true, true) = (non_string_key, options.resource_keys, nested) {
            return Err(err_at(
                &span,
                "mapping key is not a string (kustomize cannot print it: json: unsupported type: map[interface {}]interface {})",
            ));
        }
        // Explicit keys win over merged ones; earlier merge sources win over later ones.
        for (source, span) in merges {
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
                    _ => {
                        return Err(err_at(
                            &span,
                            "map merge requires map or sequence of maps as the value",
                        ))
                    }
                }
            }
        }
        Ok(map)
    }
}

/// The name of the alias (`*name`) at a 1-based line and 0-based character column.
fn alias_name_at(text: &str, line: usize, col: usize) -> Option<&str> {
    let line_text = text.split('\n').nth(line.checked_sub(1)?)?;
    let start = line_text.char_indices().nth(col)?.0;
    let rest = line_text[start..].strip_prefix('*')?;
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Seq(s) => 1 + s.iter().map(count_nodes).sum::<usize>(),
        Value::Map(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

fn is_core(tag: &Tag, suffix: &str) -> bool {
    (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!") && tag.suffix == suffix
}

/// What a scalar resolved to.
enum Resolved {
    /// A string equal to the scalar's source text (the common case, built without copying).
    Text,
    /// Anything else, and whether go-yaml's `ShortTag` would call it a string (for keys).
    Value(Value, bool),
}

/// Resolves a scalar as go-yaml v3 does.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Resolved, String> {
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
            if tag.suffix == "str" {
                return Ok(Resolved::Text);
            }
            let (value, string_key) = resolve_tagged(text, &tag.suffix)?;
            return Ok(Resolved::Value(value, string_key));
        }
        // `!` (non-specific) on a quoted scalar still means a string; any other local tag leaves
        // the text as it is.
        return Ok(Resolved::Text);
    }
    if style != ScalarStyle::Plain {
        return Ok(Resolved::Text);
    }
    Ok(match resolve_plain_v3_typed(text)? {
        None => Resolved::Text,
        Some(value) => Resolved::Value(value, false),
    })
}

fn resolve_tagged(text: &str, suffix: &str) -> Result<(Value, bool), String> {
    let mismatch = |found: &Value| {
        let found = match found {
            Value::Null => "!!null",
            Value::Bool(_) => "!!bool",
            Value::Int(_) => "!!int",
            Value::Float(_) => "!!float",
            _ => "!!str",
        };
        format!("cannot decode {found} `{text}` as a !!{suffix}")
    };
    let plain = || resolve_plain_v3(text);
    let value = match suffix {
        "str" => return Ok((Value::String(text.to_string()), true)),
        "binary" => {
            let bytes = decode_base64(text).ok_or("!!binary value contains invalid base64 data")?;
            return Ok((Value::String(go_lossy_utf8(&bytes)), false));
        }
        "null" => match plain()? {
            Value::Null => Value::Null,
            other => return Err(mismatch(&other)),
        },
        "bool" => match plain()? {
            v @ Value::Bool(_) => v,
            other => return Err(mismatch(&other)),
        },
        "int" => match plain()? {
            v @ Value::Int(_) => v,
            // Integers beyond i64 are kept as floats by the value model.
            v @ Value::Float(_)
                if crate::resolve::go_parse_int(&text.replace('_', "")).is_some() =>
            {
                v
            }
            other => return Err(mismatch(&other)),
        },
        "float" => match plain()? {
            Value::Int(i) => Value::Float(i as f64),
            v @ Value::Float(_) => v,
            other => return Err(mismatch(&other)),
        },
        "timestamp" => match plain()? {
            Value::String(s) if s != text || crate::timestamp::Timestamp::parse(text).is_some() => {
                Value::String(s)
            }
            other => return Err(mismatch(&other)),
        },
        // Tags go-yaml does not resolve (`!!map` on a scalar, `!!set`, …) leave the text alone.
        _ => return Ok((Value::String(text.to_string()), false)),
    };
    Ok((value, false))
}

/// Resolves an untagged plain scalar as go-yaml v3 does when decoding into `interface{}`
/// (timestamps become their RFC 3339 text; one JSON cannot print is left as written).
pub fn resolve_plain(text: &str) -> Value {
    resolve_plain_v3(text).unwrap_or_else(|_| Value::String(text.to_string()))
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
        assert_eq!(
            resolve_plain("2001-12-14"),
            Value::from("2001-12-14T00:00:00Z")
        );
        assert_eq!(resolve_plain("2001-02-30"), Value::from("2001-02-30"));
        assert_eq!(resolve_plain("1e400"), Value::from("1e400"));
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

    #[test]
    fn hostile_inputs_fail_cleanly() {
        let deep = "[".repeat(100_000);
        let e = parse_documents(&deep).unwrap_err();
        assert!(e.message.contains("deeper") || e.line >= 1, "{e}");
        // The deepest accepted tree still prints (and drops) on a 2 MiB test thread.
        let deepest = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        let v = parse_one(&deepest).unwrap();
        assert!(crate::emit::to_string(&v).starts_with("- - - "));
        let deep_map: String = (0..MAX_DEPTH - 1)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        assert!(crate::emit::to_string(&parse_one(&deep_map).unwrap()).contains("a: null"));
        let deep_block: String = (0..2000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        assert!(parse_documents(&deep_block).is_err());
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                'a'
            } else {
                (b'a' + i as u8) as char
            };
            let name = (b'b' + i as u8) as char;
            laughs.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let e = parse_documents(&laughs).unwrap_err();
        assert!(e.message.contains("alias expansion"), "{e}");
    }

    #[test]
    fn bytes_are_decoded_like_go_yaml() {
        let e = parse_bytes(b"a: 1\nb: caf\xe9\xff\n").unwrap_err();
        assert_eq!(
            (e.line, e.column, e.message.as_str()),
            (2, 7, "invalid trailing UTF-8 octet")
        );
        let e = parse_bytes(b"a: \xff").unwrap_err();
        assert_eq!(e.message, "invalid leading UTF-8 octet");
        let e = parse_bytes(b"a: \xe2\x82").unwrap_err();
        assert_eq!(e.message, "incomplete UTF-8 octet sequence");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a: b\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(
            parse_bytes(&utf16).unwrap()[0].value.str_at(&["a"]),
            Some("b")
        );
        assert_eq!(
            parse_bytes(b"\xef\xbb\xbfa: 1\n").unwrap()[0]
                .value
                .get("a"),
            Some(&Value::Int(1))
        );
        let e = parse_documents("a: x\u{1}y\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 5));
        assert!(e.message.starts_with("control characters are not allowed"));
    }

    #[test]
    fn keys_keep_their_text_and_unknown_anchors_are_named() {
        let v = parse_one("0x1F: a\n1.50: b\n~: c\n").unwrap();
        let keys: Vec<&str> = v.as_map().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["0x1F", "1.50", ""]);
        let e = parse_documents("a: *nope\n").unwrap_err();
        assert_eq!(e.message, "unknown anchor 'nope' referenced");
        let strict = ParseOptions {
            resource_keys: true,
        };
        assert!(parse_documents_with("a:\n  1: x\n", strict).is_err());
        assert!(parse_documents_with("1: x\n", strict).is_ok());
        let e = parse_documents("<<: {a: 1}\n<<: {b: 2}\n").unwrap_err();
        assert!(
            e.message.contains("\"<<\" already defined at line 1"),
            "{e}"
        );
    }
}
