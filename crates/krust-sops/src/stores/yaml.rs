//! YAML store: parses YAML (keeping key order and comments) into the SOPS tree and emits it
//! in go-yaml v3 style (the output style of Go sops).

use crate::error::{Error, Result};
use crate::tree::{go_float_g, Branch, Comment, Item, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::{HashMap, VecDeque};

const MAX_DEPTH: usize = 256;
const MAX_ALIAS_NODES: usize = 1_000_000;

#[derive(Debug)]
struct Cmt {
    pos: usize,
    line: usize,
    col: usize,
    text: String,
    trailing: bool,
}

fn perr(m: impl Into<String>) -> Error {
    Error::parse("YAML", m)
}

fn span_err(span: &Span, m: impl std::fmt::Display) -> Error {
    perr(format!(
        "line {}, column {}: {m}",
        span.start.line(),
        span.start.col() + 1
    ))
}

/// Finds the comments in the gaps between tokens.
fn scan_comments(src: &str, events: &[(Event<'_>, Span)]) -> VecDeque<Cmt> {
    let ascii = src.is_ascii();
    let char_to_byte: Vec<usize> = if ascii {
        Vec::new()
    } else {
        let mut v: Vec<usize> = src.char_indices().map(|(b, _)| b).collect();
        v.push(src.len());
        v
    };
    let byte = |ci: usize| -> usize {
        if ascii {
            ci.min(src.len())
        } else {
            char_to_byte.get(ci).copied().unwrap_or(src.len())
        }
    };
    let bytes = src.as_bytes();
    let mut out = VecDeque::new();
    let mut covered = 0usize;
    // Line numbers are counted incrementally (comments are found in increasing order).
    let mut line_cursor = (0usize, 1usize);
    let mut line_at = move |i: usize| {
        let (pos, line) = line_cursor;
        let add = bytes[pos.min(i)..i].iter().filter(|&&b| b == b'\n').count();
        line_cursor = (i, line + add);
        line + add
    };
    let mut scan = |from: usize, to: usize, out: &mut VecDeque<Cmt>| {
        let mut i = from;
        while i < to {
            if bytes[i] == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r'))
            {
                let end = src[i..].find('\n').map_or(src.len(), |e| i + e);
                let line_start = src[..i].rfind('\n').map_or(0, |p| p + 1);
                let before = &src[line_start..i];
                out.push_back(Cmt {
                    pos: i,
                    line: line_at(i),
                    col: before.chars().count(),
                    text: src[i + 1..end].trim_end_matches('\r').to_string(),
                    trailing: !before.trim().is_empty(),
                });
                i = end;
            } else {
                i += 1;
            }
        }
    };
    for (_, span) in events {
        let s = byte(span.start.index());
        let e = byte(span.end.index());
        if s > covered {
            scan(covered, s, &mut out);
        }
        covered = covered.max(e).max(s);
    }
    if covered < src.len() {
        scan(covered, src.len(), &mut out);
    }
    out
}

struct Builder<'a> {
    events: VecDeque<(Event<'a>, Span)>,
    comments: VecDeque<Cmt>,
    anchors: HashMap<usize, Value>,
    budget: usize,
    ascii: bool,
    char_to_byte: Vec<usize>,
}

fn line_comment_lines(text: &str) -> Comment {
    Comment {
        text: text.to_string(),
        inline: false,
    }
}

impl<'a> Builder<'a> {
    fn pos(&self, span: &Span) -> usize {
        if self.ascii {
            span.start.index()
        } else {
            self.char_to_byte
                .get(span.start.index())
                .copied()
                .unwrap_or(usize::MAX)
        }
    }

    fn next(&mut self) -> Result<(Event<'a>, Span)> {
        self.events
            .pop_front()
            .ok_or_else(|| perr("unexpected end of YAML stream"))
    }

    fn peek_pos(&self) -> usize {
        self.events.front().map_or(usize::MAX, |(_, s)| self.pos(s))
    }

    /// Comments before byte `pos` (with column >= `min_col`).
    fn take_before(&mut self, pos: usize, min_col: usize) -> Vec<Cmt> {
        let mut v = Vec::new();
        while let Some(c) = self.comments.front() {
            if c.pos < pos && c.col >= min_col {
                if let Some(c) = self.comments.pop_front() {
                    v.push(c);
                }
            } else {
                break;
            }
        }
        v
    }

    /// Trailing comments on `line` (before the next token).
    fn take_same_line(&mut self, line: usize, before: usize) -> Vec<Cmt> {
        let mut v = Vec::new();
        while let Some(c) = self.comments.front() {
            if c.line == line && c.trailing && c.pos < before {
                if let Some(c) = self.comments.pop_front() {
                    v.push(c);
                }
            } else {
                break;
            }
        }
        v
    }

    fn documents(&mut self) -> Result<Vec<Branch>> {
        let mut docs = Vec::new();
        loop {
            let (ev, span) = self.next()?;
            match ev {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return Ok(docs),
                Event::DocumentStart(_) => {
                    let mut branch = Branch::new();
                    let (ev, span) = self.next()?;
                    match ev {
                        Event::MappingStart(anchor, _) => {
                            let m = self.mapping(0, true, 0)?;
                            if anchor != 0 {
                                self.anchors.insert(anchor, Value::Map(m.clone()));
                            }
                            branch = m;
                        }
                        Event::DocumentEnd => {
                            self.events.push_front((Event::DocumentEnd, span));
                        }
                        Event::Scalar(ref t, ScalarStyle::Plain, _, None)
                            if matches!(t.as_ref(), "" | "~" | "null" | "Null" | "NULL") => {}
                        Event::SequenceStart(..) => {
                            return Err(span_err(
                                &span,
                                "YAML documents that are sequences are not supported",
                            ))
                        }
                        _ => {
                            return Err(span_err(
                                &span,
                                "YAML documents that are values are not supported",
                            ))
                        }
                    }
                    let (end, end_span) = self.next()?;
                    if !matches!(end, Event::DocumentEnd) {
                        return Err(span_err(&end_span, "expected end of document"));
                    }
                    // Comments up to the next document belong to this one.
                    let limit = match self.events.front() {
                        Some((Event::StreamEnd, _)) | None => usize::MAX,
                        Some((_, s)) => self.pos(s),
                    };
                    for c in self.take_before(limit, 0) {
                        branch.push(Item::Comment(line_comment_lines(&c.text)));
                    }
                    docs.push(branch);
                    self.anchors.clear();
                }
                _ => return Err(span_err(&span, "unexpected YAML event")),
            }
        }
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&saphyr_parser::Tag>,
    ) -> Value {
        if let Some(tag) = tag {
            if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
                return match tag.suffix.as_str() {
                    "str" | "binary" => Value::Str(text.to_string()),
                    "timestamp" => match crate::timestamp::parse_yaml_timestamp(text) {
                        Some(t) => Value::Time(t),
                        None => Value::Str(text.to_string()),
                    },
                    "null" => Value::Null,
                    "float" => match krust_yaml::parse::resolve_plain(text) {
                        krust_yaml::Value::Int(i) => Value::Float(i as f64),
                        v => from_kyaml(v, text),
                    },
                    _ => from_kyaml(krust_yaml::parse::resolve_plain(text), text),
                };
            }
        }
        if style != ScalarStyle::Plain {
            return Value::Str(text.to_string());
        }
        match from_kyaml(krust_yaml::parse::resolve_plain(text), text) {
            // go-yaml v3 decodes plain timestamps to time.Time, which sops encrypts as `time`.
            Value::Str(s) => match crate::timestamp::parse_yaml_timestamp(&s) {
                Some(t) => Value::Time(t),
                None => Value::Str(s),
            },
            v => v,
        }
    }

    fn node(
        &mut self,
        ev: Event<'a>,
        span: &Span,
        depth: usize,
        indent_hint: usize,
    ) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(span_err(span, "YAML nesting is too deep"));
        }
        Ok(match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let v = self.scalar(&text, style, tag.as_deref());
                if anchor != 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                v
            }
            Event::Alias(id) => {
                let v = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| span_err(span, "unknown anchor referenced by alias"))?;
                let cost = count(&v);
                if cost > self.budget {
                    return Err(span_err(span, "alias expansion is too large"));
                }
                self.budget -= cost;
                v
            }
            Event::MappingStart(anchor, _) => {
                let v = Value::Map(self.mapping(depth + 1, false, indent_hint)?);
                if anchor != 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                v
            }
            Event::SequenceStart(anchor, _) => {
                let v = Value::Seq(self.sequence(depth + 1, indent_hint)?);
                if anchor != 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                v
            }
            _ => return Err(span_err(span, "unexpected YAML event")),
        })
    }

    fn mapping(&mut self, depth: usize, top: bool, indent_hint: usize) -> Result<Branch> {
        let mut branch = Branch::new();
        let mut indent: Option<usize> = None;
        let mut seen = std::collections::HashSet::new();
        loop {
            let (ev, span) = self.next()?;
            if matches!(ev, Event::MappingEnd) {
                let min_col = if top {
                    0
                } else {
                    indent.unwrap_or(indent_hint)
                };
                let limit = if top {
                    self.peek_pos()
                } else {
                    self.pos(&span).max(self.peek_pos())
                };
                for c in self.take_before(limit, min_col) {
                    branch.push(Item::Comment(line_comment_lines(&c.text)));
                }
                break;
            }
            let kpos = self.pos(&span);
            for c in self.take_before(kpos, 0) {
                branch.push(Item::Comment(line_comment_lines(&c.text)));
            }
            if indent.is_none() {
                indent = Some(span.start.col());
            }
            let is_merge =
                matches!(&ev, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
            let key = match ev {
                Event::Scalar(t, style, anchor, tag) => {
                    let v = self.scalar(&t, style, tag.as_deref());
                    if anchor != 0 {
                        self.anchors.insert(anchor, v.clone());
                    }
                    key_text(&v, &t)
                }
                Event::Alias(id) => match self.anchors.get(&id) {
                    Some(v) => key_text(v, ""),
                    None => return Err(span_err(&span, "unknown anchor referenced by alias")),
                },
                _ => return Err(span_err(&span, "mapping keys must be scalars")),
            };
            let key_line = span.end.line();
            let (vev, vspan) = self.next()?;
            let vpos = self.pos(&vspan);
            let is_scalar = matches!(vev, Event::Scalar(..) | Event::Alias(_));
            if !is_scalar {
                for c in self.take_same_line(key_line, vpos) {
                    branch.push(Item::Comment(line_comment_lines(&c.text)));
                }
            }
            let child_hint = span.start.col() + 1;
            let value = self.node(vev, &vspan, depth, child_hint)?;
            if is_scalar {
                let next = self.peek_pos();
                for c in self.take_same_line(vspan.end.line(), next) {
                    branch.push(Item::Comment(Comment {
                        text: c.text,
                        inline: true,
                    }));
                }
            }
            // Like sops (which walks go-yaml nodes), a merge key `<<` stays an ordinary key
            // holding the aliased mapping; it is not merged, and may repeat.
            if !is_merge && !seen.insert(key.clone()) {
                return Err(span_err(
                    &span,
                    format!("mapping key \"{key}\" already defined"),
                ));
            }
            branch.push(Item::Pair(key, value));
        }
        Ok(branch)
    }

    fn sequence(&mut self, depth: usize, indent_hint: usize) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut indent: Option<usize> = None;
        loop {
            let (ev, span) = self.next()?;
            if matches!(ev, Event::SequenceEnd) {
                let min_col = indent.unwrap_or(indent_hint);
                let limit = self.pos(&span).max(self.peek_pos());
                for c in self.take_before(limit, min_col) {
                    items.push(Value::Comment(line_comment_lines(&c.text)));
                }
                break;
            }
            let p = self.pos(&span);
            for c in self.take_before(p, 0) {
                items.push(Value::Comment(line_comment_lines(&c.text)));
            }
            if indent.is_none() {
                indent = Some(span.start.col().saturating_sub(2));
            }
            let is_scalar = matches!(ev, Event::Scalar(..) | Event::Alias(_));
            let v = self.node(ev, &span, depth, span.start.col())?;
            if is_scalar {
                let next = self.peek_pos();
                for c in self.take_same_line(span.end.line(), next) {
                    items.push(Value::Comment(Comment {
                        text: c.text,
                        inline: true,
                    }));
                }
            }
            items.push(v);
        }
        Ok(items)
    }
}

fn count(v: &Value) -> usize {
    match v {
        Value::Map(b) => {
            1 + b
                .iter()
                .map(|i| match i {
                    Item::Pair(_, v) => count(v),
                    Item::Comment(_) => 1,
                })
                .sum::<usize>()
        }
        Value::Seq(s) => 1 + s.iter().map(count).sum::<usize>(),
        _ => 1,
    }
}

fn from_kyaml(v: krust_yaml::Value, text: &str) -> Value {
    match v {
        krust_yaml::Value::Null => Value::Null,
        krust_yaml::Value::Bool(b) => Value::Bool(b),
        krust_yaml::Value::Int(i) => Value::Int(i),
        krust_yaml::Value::Float(f) => Value::Float(f),
        _ => Value::Str(text.to_string()),
    }
}

fn key_text(v: &Value, raw: &str) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Null => {
            if raw.is_empty() {
                String::new()
            } else {
                raw.to_string()
            }
        }
        Value::Int(i) => i.to_string(),
        Value::Float(f) => go_float_g(*f),
        Value::Bool(b) => b.to_string(),
        _ => raw.to_string(),
    }
}

/// Parses every document of a YAML stream into a branch (a document must be a mapping).
pub fn parse(input: &[u8]) -> Result<Vec<Branch>> {
    let src = std::str::from_utf8(input).map_err(|e| perr(format!("not UTF-8: {e}")))?;
    let mut events = Vec::new();
    let mut parser = Parser::new_from_str(src);
    loop {
        match parser.next_event() {
            Some(Ok(ev)) => {
                let end = matches!(ev.0, Event::StreamEnd);
                events.push(ev);
                if end {
                    break;
                }
            }
            Some(Err(e)) => {
                return Err(perr(format!(
                    "line {}, column {}: {}",
                    e.marker().line(),
                    e.marker().col() + 1,
                    e.info()
                )))
            }
            None => break,
        }
    }
    let comments = scan_comments(src, &events);
    let ascii = src.is_ascii();
    let char_to_byte = if ascii {
        Vec::new()
    } else {
        let mut v: Vec<usize> = src.char_indices().map(|(b, _)| b).collect();
        v.push(src.len());
        v
    };
    let mut b = Builder {
        events: events.into(),
        comments,
        anchors: HashMap::new(),
        budget: MAX_ALIAS_NODES,
        ascii,
        char_to_byte,
    };
    let docs = b.documents()?;
    Ok(docs)
}

// ---------------------------------------------------------------------------------------------
// Emitter (go-yaml v3 style)

/// Emits branches as YAML documents separated by `---`, with the given indentation (sops: 4).
pub fn emit(docs: &[Branch], indent: usize) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let mut e = Emitter {
            out: String::new(),
            step: indent.max(1),
        };
        if d.iter().all(|i| matches!(i, Item::Comment(_))) {
            let cs: Vec<&Comment> = d
                .iter()
                .filter_map(|i| match i {
                    Item::Comment(c) => Some(c),
                    _ => None,
                })
                .collect();
            for c in &cs {
                e.out.push('#');
                e.out.push_str(&c.text);
                e.out.push('\n');
            }
            e.out.push_str("{}\n");
        } else {
            e.map(d, 0);
        }
        out.push_str(&e.out);
    }
    out
}

struct Emitter {
    out: String,
    step: usize,
}

impl Emitter {
    fn child(&self, indent: usize) -> usize {
        self.step * ((indent + self.step) / self.step)
    }

    fn pad(&mut self, n: usize) {
        for _ in 0..n {
            self.out.push(' ');
        }
    }

    fn comment_lines(&mut self, cs: &[String], indent: usize) {
        for c in cs {
            self.pad(indent);
            self.out.push('#');
            self.out.push_str(c);
            self.out.push('\n');
        }
    }

    /// Writes a mapping whose keys sit at `indent`; `first_inline` when the first key follows
    /// a `- ` already written.
    fn map_at(&mut self, b: &Branch, indent: usize, mut first_inline: bool) {
        let mut head: Vec<String> = Vec::new();
        let mut inline: Vec<String> = Vec::new();
        let mut any = false;
        for item in b {
            match item {
                Item::Comment(c) if c.inline => inline.push(c.text.clone()),
                Item::Comment(c) => head.push(c.text.clone()),
                Item::Pair(k, v) => {
                    if first_inline {
                        if !head.is_empty() {
                            // Rare: comment before the first key of a list item map.
                            let h = std::mem::take(&mut head);
                            for c in &h {
                                self.out.push('#');
                                self.out.push_str(c);
                                self.out.push('\n');
                                self.pad(indent);
                            }
                        }
                        first_inline = false;
                    } else {
                        let h = std::mem::take(&mut head);
                        self.comment_lines(&h, indent);
                        self.pad(indent);
                    }
                    any = true;
                    self.key(k);
                    self.out.push(':');
                    let ic = std::mem::take(&mut inline);
                    self.value_after_key(v, indent, &ic);
                }
            }
        }
        head.extend(inline);
        if !head.is_empty() {
            if !any && first_inline {
                self.out.push_str("{}\n");
            }
            self.comment_lines(&head, indent);
        } else if !any {
            // Empty mapping in a list item.
            if first_inline {
                self.out.push_str("{}\n");
            }
        }
    }

    fn map(&mut self, b: &Branch, indent: usize) {
        self.map_at(b, indent, false)
    }

    fn line_comment(&mut self, ic: &[String]) {
        for c in ic {
            self.out.push_str(" #");
            self.out.push_str(c);
        }
    }

    fn value_after_key(&mut self, v: &Value, indent: usize, ic: &[String]) {
        match v {
            Value::Map(b) if b.iter().any(|i| matches!(i, Item::Pair(..))) => {
                self.line_comment(ic);
                self.out.push('\n');
                let c = self.child(indent);
                self.map(b, c);
            }
            Value::Seq(s) if s.iter().any(|i| !matches!(i, Value::Comment(_))) => {
                self.line_comment(ic);
                self.out.push('\n');
                let c = self.child(indent);
                self.seq(s, c);
            }
            Value::Map(b) => {
                self.out.push_str(" {}");
                self.line_comment(ic);
                self.out.push('\n');
                let cs: Vec<String> = b
                    .iter()
                    .filter_map(|i| match i {
                        Item::Comment(c) => Some(c.text.clone()),
                        _ => None,
                    })
                    .collect();
                let c = self.child(indent);
                self.comment_lines(&cs, c);
            }
            Value::Seq(s) => {
                self.out.push_str(" []");
                self.line_comment(ic);
                self.out.push('\n');
                let cs: Vec<String> = s
                    .iter()
                    .filter_map(|i| match i {
                        Value::Comment(c) => Some(c.text.clone()),
                        _ => None,
                    })
                    .collect();
                let c = self.child(indent);
                self.comment_lines(&cs, c);
            }
            _ => {
                self.out.push(' ');
                let c = self.child(indent);
                self.scalar(v, c, ic);
            }
        }
    }

    fn seq(&mut self, s: &[Value], indent: usize) {
        let mut head: Vec<String> = Vec::new();
        let mut inline: Vec<String> = Vec::new();
        for item in s {
            match item {
                Value::Comment(c) if c.inline => inline.push(c.text.clone()),
                Value::Comment(c) => head.push(c.text.clone()),
                v => {
                    let h = std::mem::take(&mut head);
                    self.comment_lines(&h, indent);
                    self.pad(indent);
                    self.out.push('-');
                    let ic = std::mem::take(&mut inline);
                    match v {
                        Value::Map(b) if b.iter().any(|i| matches!(i, Item::Pair(..))) => {
                            self.out.push(' ');
                            self.map_at(b, indent + 2, true);
                        }
                        Value::Seq(inner)
                            if inner.iter().any(|i| !matches!(i, Value::Comment(_))) =>
                        {
                            self.out.push(' ');
                            self.seq_inline(inner, indent + 2);
                        }
                        Value::Map(_) => {
                            self.out.push_str(" {}");
                            self.line_comment(&ic);
                            self.out.push('\n');
                        }
                        Value::Seq(_) => {
                            self.out.push_str(" []");
                            self.line_comment(&ic);
                            self.out.push('\n');
                        }
                        _ => {
                            self.out.push(' ');
                            self.scalar(v, indent + 2, &ic);
                        }
                    }
                }
            }
        }
        head.extend(inline);
        self.comment_lines(&head, indent);
    }

    /// A sequence whose first `- ` follows a `- ` already written.
    fn seq_inline(&mut self, s: &[Value], indent: usize) {
        let start = self.out.len();
        self.seq(s, indent);
        // Drop the padding of the first item (it continues the current line).
        let tail = self.out.split_off(start);
        self.out.push_str(tail.trim_start_matches(' '));
    }

    fn key(&mut self, k: &str) {
        let s = format_str(k, true, 0, self.step);
        self.out.push_str(&s);
    }

    fn scalar(&mut self, v: &Value, content_indent: usize, ic: &[String]) {
        let text = match v {
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => match go_float_g(*f).as_str() {
                "+Inf" => ".inf".into(),
                "-Inf" => "-.inf".into(),
                "NaN" => ".nan".into(),
                s => s.to_string(),
            },
            Value::Str(s) => format_str(s, false, content_indent, self.step),
            Value::Time(s) => s.clone(),
            Value::Bytes(b) => format!(
                "!!binary {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b)
            ),
            Value::Comment(c) => format_str(&c.text, false, content_indent, self.step),
            Value::Map(_) | Value::Seq(_) => String::new(),
        };
        if let Some(body) = text.strip_prefix('\u{0}') {
            // Literal block: header, line comment, then the body.
            let (header, rest) = body.split_once('\n').unwrap_or((body, ""));
            self.out.push_str(header);
            self.line_comment(ic);
            self.out.push('\n');
            self.out.push_str(rest);
        } else {
            self.out.push_str(&text);
            self.line_comment(ic);
            self.out.push('\n');
        }
    }
}

/// libyaml's `is_printable`: no NEL, no characters outside the BMP (go-yaml escapes them).
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        && c != '\u{feff}'
}

struct Analysis {
    multiline: bool,
    block_plain: bool,
    single_ok: bool,
    block_ok: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain: true,
            single_ok: true,
            block_ok: false,
        };
    }
    let mut block_ind = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut special, mut line_breaks) =
        (false, false, false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_ws = true;
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let followed_ws = i + 1 >= n
            || matches!(
                chars[i + 1],
                ' ' | '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
            );
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_ind = true,
                '?' | ':' if followed_ws => block_ind = true,
                '-' if followed_ws => block_ind = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_ws => block_ind = true,
                '#' if preceded_ws => block_ind = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        let is_break = matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if is_break {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break {
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_break = true;
            prev_space = false;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = matches!(
            c,
            ' ' | '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
        );
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain: true,
        single_ok: true,
        block_ok: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain = false;
    }
    if trailing_space {
        a.block_ok = false;
    }
    if break_space {
        a.block_plain = false;
        a.single_ok = false;
    }
    if space_break || special {
        a.block_plain = false;
        a.single_ok = false;
        a.block_ok = false;
    }
    if line_breaks {
        a.block_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

/// Whether go-yaml v3 would resolve this plain text to something other than a string.
fn resolves_non_str(s: &str) -> bool {
    if s.is_empty() || s == "<<" {
        return true;
    }
    if !matches!(
        krust_yaml::parse::resolve_plain(s),
        krust_yaml::Value::String(_)
    ) {
        return true;
    }
    // Timestamps resolve to !!timestamp (krust-yaml keeps them as strings).
    if looks_like_timestamp(s) {
        return true;
    }
    // YAML 1.1 booleans and base-60 floats are quoted too.
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    ) || is_base60(s)
}

fn is_base60(s: &str) -> bool {
    // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, _frac) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = main.split(':');
    let Some(first) = parts.next() else {
        return false;
    };
    if first.is_empty()
        || !first.starts_with(|c: char| c.is_ascii_digit())
        || !first.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return false;
    }
    let mut any = false;
    for p in parts {
        any = true;
        if p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
        if p.len() == 2 && p.as_bytes()[0] > b'5' {
            return false;
        }
    }
    any && _frac.chars().all(|c| c.is_ascii_digit() || c == '_')
}

fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 10 {
        return false;
    }
    let date = b[0..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5].is_ascii_digit()
        && (b[6] == b'-' || (b[6].is_ascii_digit() && b.get(7) == Some(&b'-')));
    if !date {
        return false;
    }
    // go-yaml accepts a handful of layouts; a date prefix followed by end, 'T', 't' or space.
    let date_len = if b[6] == b'-' { 6 } else { 7 };
    let rest = &s[date_len + 1..];
    let day_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&day_digits) {
        return false;
    }
    let after = &rest[day_digits..];
    after.is_empty() || after.starts_with(['T', 't', ' ', '\t'])
}

/// Formats a string scalar like go-yaml v3. Literal blocks are returned prefixed with NUL and
/// their header line (so the caller can add a line comment).
fn format_str(s: &str, key: bool, content_indent: usize, step: usize) -> String {
    let a = analyze(s);
    let plain_ok = !resolves_non_str(s);
    if s.contains('\n') && !key && a.block_ok {
        return literal(s, content_indent, step);
    }
    if !plain_ok {
        // go-yaml v3 double-quotes strings that would read back as another type.
        return double_quoted(s);
    }
    if a.block_plain && !s.contains('\n') && !(s.is_empty() && key) {
        return s.to_string();
    }
    if a.single_ok && !a.multiline && !s.contains('\n') {
        return format!("'{}'", s.replace('\'', "''"));
    }
    double_quoted(s)
}

fn literal(s: &str, indent: usize, step: usize) -> String {
    let mut out = String::from("\u{0}|");
    let first = s.chars().next();
    if matches!(first, Some(' ' | '\n')) {
        out.push_str(&step.to_string());
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let last = chars[n - 1];
    if last != '\n' {
        out.push('-');
    } else if n == 1 || chars[n - 2] == '\n' {
        out.push('+');
    }
    out.push('\n');
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if !line.is_empty() {
            for _ in 0..indent {
                out.push(' ');
            }
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if !is_printable(c) => {
                let v = c as u32;
                if v <= 0xff {
                    out.push_str(&format!("\\x{v:02X}"));
                } else if v <= 0xffff {
                    out.push_str(&format!("\\u{v:04X}"));
                } else {
                    out.push_str(&format!("\\U{v:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_roundtrip() {
        let src =
            "# top\na: 1\nb:\n    c: x # inline\n    # foot of b\nd:\n    - e\n    - 'f: g'\n";
        let docs = parse(src.as_bytes()).unwrap();
        assert_eq!(emit(&docs, 4), src);
    }

    #[test]
    fn styles() {
        assert_eq!(format_str("", false, 0, 4), "\"\"");
        assert_eq!(format_str("123", false, 0, 4), "\"123\"");
        assert_eq!(
            format_str("2020-01-01T00:00:00Z", false, 0, 4),
            "\"2020-01-01T00:00:00Z\""
        );
        assert_eq!(format_str("a: b", false, 0, 4), "'a: b'");
        assert_eq!(format_str("hello world", false, 0, 4), "hello world");
        assert_eq!(
            format_str("smile \u{1F600}", false, 0, 4),
            "\"smile \\U0001F600\""
        );
        assert_eq!(format_str("caf\u{e9}", false, 0, 4), "caf\u{e9}");
        assert_eq!(format_str("a\tb", false, 0, 4), "\"a\\tb\"");
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    #[test]
    fn merge_key_is_kept_like_sops() {
        let src = "base: &b\n    x: 1\nderived:\n    <<: *b\n    z: 2\n";
        let docs = parse(src.as_bytes()).unwrap();
        assert_eq!(
            emit(&docs, 4),
            "base:\n    x: 1\nderived:\n    \"<<\":\n        x: 1\n    z: 2\n"
        );
    }
}

#[cfg(test)]
mod comment_tests {
    use super::*;

    fn same(src: &str) {
        let docs = parse(src.as_bytes()).unwrap();
        assert_eq!(emit(&docs, 4), src);
    }

    #[test]
    fn multi_document_comments() {
        same("# c1\na: 1\n---\n# c2\nb: 2\n# end\n");
    }

    #[test]
    fn kubernetes_secret_comments() {
        same("apiVersion: v1\nkind: Secret\nmetadata:\n    name: foo # the name\nstringData:\n    # password for db\n    password: x\n    list:\n        # first\n        - a # inline\n        - b\n");
    }

    #[test]
    fn comment_after_nested_block_goes_to_parent() {
        let docs = parse(b"a:\n    b: 1\n# top\nc: 2\n").unwrap();
        assert!(matches!(&docs[0][1], Item::Comment(c) if c.text == " top"));
    }
}
