//! The emitter: prints a [`Value`] exactly as `kustomize build` prints a resource.
//!
//! kustomize serialises each resource to JSON and converts that JSON to YAML with the go-yaml v2
//! encoder. The visible consequences, all reproduced here:
//! - mapping keys in go-yaml's "natural" order (digit runs compare numerically, non-letters sort
//!   before letters);
//! - block style with 2-space indentation, sequences inside mappings not indented;
//! - empty collections as `{}` / `[]`;
//! - strings quoted only when a plain scalar would read back as another type or is not allowed,
//!   single quotes preferred over double quotes, `|` literal blocks for multi-line text;
//! - plain and quoted scalars folded at spaces once the line passes 80 columns;
//! - numbers as JSON numbers read back by go-yaml (integral floats print as integers).

use std::cmp::Ordering;

use crate::value::Value;

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

/// Emits one document (no leading `---`), ending with a newline.
pub fn to_string(value: &Value) -> String {
    let mut e = Emitter::default();
    e.emit_document(value);
    e.out
}

/// Emits several documents joined by `---` lines, as `kustomize build` prints a resource list.
pub fn documents_to_string<'a>(values: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_string(v));
    }
    out
}

/// go-yaml's ordering of mapping keys (its `keyList.Less` for string keys).
pub fn natural_key_cmp(a: &str, b: &str) -> Ordering {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            // The non-letter sorts first.
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let mut an: i128 = 0;
        let mut bn: i128 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .saturating_mul(10)
                .saturating_add(ar[ai] as i128 - '0' as i128);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .saturating_mul(10)
                .saturating_add(br[bi] as i128 - '0' as i128);
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Formats a float as the JSON → go-yaml v2 round trip prints it.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    if f == f.trunc() && f.abs() < 1e21 {
        // JSON prints it without a fraction; go-yaml reads it back as an integer when it fits.
        if f >= i64::MIN as f64 && f < i64::MAX as f64 {
            return format!("{}", f as i64);
        }
        if f >= 0.0 && f < u64::MAX as f64 {
            return format!("{}", f as u64);
        }
    }
    go_format_g(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
fn go_format_g(f: f64) -> String {
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. `1.2345e6` or `-5e-7`.
    let sci = format!("{:e}", f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    // Shortest 'g' formatting switches to an exponent outside [1e-4, 1e6).
    if exp < -4 || exp >= 6 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
        return out;
    }
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Would go-yaml v2 read this plain scalar back as something other than a string?
fn resolves_to_non_string(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True"
        | "TRUE" | "false" | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF"
        | "~" | "null" | "Null" | "NULL" | ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF"
        | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" | "<<" => return true,
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return false;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if go_v2_int(&plain) || is_v2_float(&plain) {
        return true;
    }
    if first.is_ascii_digit() && crate::parse::looks_like_timestamp(s) {
        return true;
    }
    false
}

fn go_v2_int(plain: &str) -> bool {
    let body = plain.strip_prefix(['-', '+']).unwrap_or(plain);
    if body.is_empty() {
        return false;
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
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))
}

fn is_v2_float(plain: &str) -> bool {
    // go-yaml v2: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    let b = plain.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let s = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - s;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == f {
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
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

/// Base-60 floats (`1:20`) that go-yaml v2 quotes for YAML 1.1 readers.
fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let n = i - start;
        if n == 0 || (n == 2 && b[start] > b'5') {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[derive(Default)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    if value.starts_with("---") || value.starts_with("...") {
        block_indicators = true;
    }
    let chars: Vec<char> = value.chars().collect();
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) =
        (false, false, false, false);
    let (mut line_breaks, mut special) = (false, false);
    let mut preceded_by_ws = true;
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let followed_by_ws =
            i + 1 >= n || matches!(chars[i + 1], ' ' | '\t') || is_break(chars[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' => {
                    if followed_by_ws {
                        block_indicators = true
                    }
                }
                '-' => {
                    if followed_by_ws {
                        block_indicators = true
                    }
                }
                _ => {}
            }
        } else {
            match c {
                ':' => {
                    if followed_by_ws {
                        block_indicators = true
                    }
                }
                '#' => {
                    if preceded_by_ws {
                        block_indicators = true
                    }
                }
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t') || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

#[derive(Default)]
struct Emitter {
    out: String,
    column: usize,
    /// Only spaces/indicators written since the last line break (go-yaml's `indention`).
    indention: bool,
    /// The last character written is white space (go-yaml's `whitespace`).
    whitespace: bool,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn emit_document(&mut self, value: &Value) {
        self.indention = true;
        self.whitespace = true;
        self.node(value, 0, Ctx::Root);
        // A document always ends with a line break.
        if !self.out.ends_with('\n') || self.column != 0 {
            self.put_break();
        }
    }

    fn node(&mut self, value: &Value, indent: usize, ctx: Ctx) {
        match value {
            Value::Map(m) if !m.is_empty() => self.block_mapping(m, indent, ctx),
            Value::Seq(s) if !s.is_empty() => self.block_sequence(s, indent, ctx),
            Value::Map(_) => self.write_indicator("{}", true, false, false),
            Value::Seq(_) => self.write_indicator("[]", true, false, false),
            Value::Null => self.scalar("null", Style::Plain, indent, false),
            Value::Bool(b) => self.scalar(
                if *b { "true" } else { "false" },
                Style::Plain,
                indent,
                false,
            ),
            Value::Int(i) => self.scalar(&i.to_string(), Style::Plain, indent, false),
            Value::Float(f) => self.scalar(&format_float(*f), Style::Plain, indent, false),
            Value::String(s) => self.string(s, indent, false),
        }
    }

    /// `indent` is the indentation of the enclosing block; scalars continue at `indent + 2`.
    fn string(&mut self, s: &str, indent: usize, simple_key: bool) {
        let requested = if s.contains('\n') {
            Style::Literal
        } else if !resolves_to_non_string(s) && !is_base60_float(s) {
            Style::Plain
        } else {
            Style::Double
        };
        self.scalar(s, requested, indent, simple_key);
    }

    fn scalar(&mut self, s: &str, requested: Style, indent: usize, simple_key: bool) {
        let a = analyze(s);
        let mut style = requested;
        if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        let _ = a.multiline;
        let indent = if simple_key {
            indent
        } else {
            indent + BEST_INDENT
        };
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, indent, allow_breaks),
            Style::Single => self.write_single(s, indent, allow_breaks),
            Style::Double => self.write_double(s, indent, allow_breaks),
            Style::Literal => self.write_literal(s, indent),
        }
    }

    fn write_plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_is_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
            i += 1;
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        let n = chars.len();
        let mut i = 0;
        while i < n {
            let c = chars[i];
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < n - 1
                    && !next_is_space
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
            i += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        let mut i = 0;
        while i < n {
            let c = chars[i];
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{07}' => self.put('a'),
                    '\u{08}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{0b}' => self.put('v'),
                    '\u{0c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{A0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    other => {
                        let v = other as u32;
                        let (prefix, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(prefix);
                        self.write_str(&format!("{:0width$X}", v, width = width));
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < n - 1 {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
            i += 1;
        }
        self.write_indicator("\"", false, false, false);
    }

    fn write_literal(&mut self, s: &str, indent: usize) {
        self.write_indicator("|", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        if chars.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chomp = match chars.last() {
            None => Some('-'),
            Some(&last) if !is_break(last) => Some('-'),
            Some(_) if chars.len() == 1 => Some('+'),
            Some(_) if is_break(chars[chars.len() - 2]) => Some('+'),
            Some(_) => None,
        };
        if let Some(ch) = chomp {
            self.write_indicator(&ch.to_string(), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
        // go-yaml leaves `whitespace` set after a literal block: the next key at the block's
        // parent column continues on the fresh line without an extra break.
    }

    fn block_mapping(&mut self, m: &crate::value::Mapping, indent: usize, ctx: Ctx) {
        let inner = match ctx {
            Ctx::Root => 0,
            _ => indent + BEST_INDENT,
        };
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_by(|a, b| natural_key_cmp(a, b));
        for key in keys {
            self.write_indent(inner);
            self.string(key, inner, true);
            self.write_indicator(":", false, false, false);
            let value = &m[key.as_str()];
            self.node(value, inner, Ctx::MappingValue);
        }
    }

    fn block_sequence(&mut self, s: &[Value], indent: usize, ctx: Ctx) {
        let inner = match ctx {
            Ctx::Root => 0,
            // Sequences that are mapping values are not indented.
            Ctx::MappingValue => indent,
            Ctx::SequenceItem => indent + BEST_INDENT,
        };
        for item in s {
            self.write_indent(inner);
            self.write_indicator("-", true, false, true);
            self.node(item, inner, Ctx::SequenceItem);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    MappingValue,
    SequenceItem,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_one;

    fn roundtrip(input: &str) -> String {
        to_string(&parse_one(input).unwrap())
    }

    #[test]
    fn sorts_keys_naturally() {
        assert_eq!(natural_key_cmp("A_FIRST", "ANOTHER"), Ordering::Less);
        assert_eq!(natural_key_cmp("a2", "a10"), Ordering::Less);
        assert_eq!(natural_key_cmp("apiVersion", "kind"), Ordering::Less);
    }

    #[test]
    fn emits_block_style() {
        let out = roundtrip("kind: A\nmetadata: {name: x, labels: {}}\nspec:\n  ports:\n  - port: 80\n    name: \"8080\"\n  - [a, b]\n");
        assert_eq!(
            out,
            "kind: A\nmetadata:\n  labels: {}\n  name: x\nspec:\n  ports:\n  - name: \"8080\"\n    port: 80\n  - - a\n    - b\n"
        );
    }

    #[test]
    fn quotes_and_folds_like_go_yaml() {
        assert_eq!(roundtrip("a: ': test'"), "a: ': test'\n");
        assert_eq!(roundtrip("a: 'yes'"), "a: \"yes\"\n");
        assert_eq!(roundtrip("a: ''"), "a: \"\"\n");
        assert_eq!(roundtrip("a: 1.0"), "a: 1\n");
        assert_eq!(roundtrip("a: |\n  x\n  y\n"), "a: |\n  x\n  y\n");
        assert_eq!(roundtrip("a: \"x\\ty\""), "a: \"x\\ty\"\n");
        let long = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Maecenas suscipit ex non molestie varius.";
        assert_eq!(
            roundtrip(&format!("a:\n  value: {long}\n")),
            "a:\n  value: Lorem ipsum dolor sit amet, consectetur adipiscing elit. Maecenas suscipit\n    ex non molestie varius.\n"
        );
    }

    #[test]
    fn formats_floats_like_go() {
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(1e21), "1e+21");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(1234.56789), "1234.56789");
    }
}
