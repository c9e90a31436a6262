//! JSON store: an order-preserving JSON parser and a Go `encoding/json`-style emitter.

use crate::error::{Error, Result};
use crate::tree::{go_float_json, Branch, Item, Value};

const MAX_DEPTH: usize = 512;

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

fn err(p: &P<'_>, m: &str) -> Error {
    let line = p.s[..p.i.min(p.s.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    Error::parse("JSON", format!("line {line} (byte {}): {m}", p.i))
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(err(self, &format!("expected `{}`", c as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(err(self, "nesting is too deep"));
        }
        self.ws();
        match self.peek() {
            Some(b'{') => Ok(Value::Map(self.object(depth)?)),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Value::Seq(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::Seq(items));
                        }
                        _ => return Err(err(self, "expected `,` or `]`")),
                    }
                }
            }
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') => self.lit("true", Value::Bool(true)),
            Some(b'f') => self.lit("false", Value::Bool(false)),
            Some(b'n') => self.lit("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(err(self, "unexpected character")),
            None => Err(err(self, "unexpected end of input")),
        }
    }

    fn lit(&mut self, word: &str, v: Value) -> Result<Value> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(err(self, "invalid literal"))
        }
    }

    fn number(&mut self) -> Result<Value> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let st = p.i;
            while p.i < p.s.len() && p.s[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - st
        };
        let n = digits(self);
        if n == 0 || (n > 1 && self.s[self.i - n] == b'0') {
            return Err(err(self, "invalid number"));
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            is_float = true;
            if digits(self) == 0 {
                return Err(err(self, "invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            is_float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(err(self, "invalid number"));
            }
        }
        let text =
            std::str::from_utf8(&self.s[start..self.i]).map_err(|_| err(self, "invalid number"))?;
        if !is_float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Int(i));
            }
        }
        text.parse::<f64>()
            .map(Value::Float)
            .map_err(|_| err(self, "invalid number"))
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| err(self, "invalid \\u escape"))?;
        self.i += 4;
        Ok(h)
    }

    fn string(&mut self) -> Result<String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(err(self, "unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(err(self, "unterminated string"));
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let h = self.hex4()?;
                            if (0xd800..0xdc00).contains(&h) && self.s[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let l = self.hex4()?;
                                if (0xdc00..0xe000).contains(&l) {
                                    char::from_u32(0x10000 + ((h - 0xd800) << 10) + (l - 0xdc00))
                                        .unwrap_or('\u{fffd}')
                                } else {
                                    '\u{fffd}'
                                }
                            } else {
                                char::from_u32(h).unwrap_or('\u{fffd}')
                            }
                        }
                        _ => return Err(err(self, "invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(err(self, "control character in string")),
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| err(self, "invalid UTF-8 in string"))
    }

    fn object(&mut self, depth: usize) -> Result<Branch> {
        self.i += 1;
        let mut b = Branch::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(b);
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(err(self, "expected a string key"));
            }
            let k = self.string()?;
            self.expect(b':')?;
            let v = self.value(depth + 1)?;
            b.push(Item::Pair(k, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(b);
                }
                _ => return Err(err(self, "expected `,` or `}`")),
            }
        }
    }
}

/// Parses a JSON document whose top level must be an object.
pub fn parse(input: &[u8]) -> Result<Branch> {
    let mut p = P { s: input, i: 0 };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(err(
            &p,
            "SOPS only supports JSON files with a top-level object (starting with '{')",
        ));
    }
    let b = p.object(0)?;
    p.ws();
    if p.i != input.len() {
        return Err(err(&p, "trailing data after the JSON object"));
    }
    Ok(b)
}

/// Writes a string as Go's `json.Marshal` does (HTML-safe escaping).
pub fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn emit_value(v: &Value, indent: &str, level: usize, out: &mut String) {
    let nl = |out: &mut String, level: usize| {
        out.push('\n');
        for _ in 0..level {
            out.push_str(indent);
        }
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&go_float_json(*f)),
        Value::Str(s) | Value::Time(s) => quote(s, out),
        Value::Comment(c) => quote(&c.text, out),
        Value::Bytes(b) => quote(
            &base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b),
            out,
        ),
        Value::Map(b) => {
            let pairs: Vec<(&String, &Value)> = b
                .iter()
                .filter_map(|i| match i {
                    Item::Pair(k, v) => Some((k, v)),
                    Item::Comment(_) => None,
                })
                .collect();
            if pairs.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, level + 1);
                quote(k, out);
                out.push_str(": ");
                emit_value(v, indent, level + 1, out);
            }
            nl(out, level);
            out.push('}');
        }
        Value::Seq(items) => {
            let items: Vec<&Value> = items
                .iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .collect();
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, level + 1);
                emit_value(v, indent, level + 1, out);
            }
            nl(out, level);
            out.push(']');
        }
    }
}

/// Emits a branch as indented JSON (sops: tab indentation) with a final newline.
pub fn emit(b: &Branch, indent: &str) -> String {
    let mut out = String::new();
    emit_value(&Value::Map(b.clone()), indent, 0, &mut out);
    out.push('\n');
    out
}

/// Emits any value as indented JSON (used by `--extract`).
pub fn emit_value_string(v: &Value, indent: &str) -> String {
    let mut out = String::new();
    emit_value(v, indent, 0, &mut out);
    out
}
