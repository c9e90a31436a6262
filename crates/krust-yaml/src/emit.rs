//! The emitter: prints a [`Value`] exactly as `kustomize build` prints a resource.
//!
//! kustomize serialises each resource to JSON and converts that JSON to YAML with the go-yaml v2
//! encoder (`sigs.k8s.io/yaml.JSONToYAML`). The visible consequences, all reproduced here:
//! - mapping keys in go-yaml's "natural" order (digit runs compare numerically, non-letters sort
//!   before letters);
//! - block style with 2-space indentation, sequences inside mappings not indented;
//! - empty collections as `{}` / `[]`;
//! - strings quoted only when a plain scalar would read back as another type (YAML 1.1 rules:
//!   `yes`, `on`, `1:20`, `2001-12-14`, …) or is not allowed, single quotes preferred over double
//!   quotes, `|` literal blocks for multi-line text, keys longer than 128 bytes or spanning lines
//!   written as explicit `? key` entries;
//! - plain and quoted scalars folded at spaces once the line passes 80 columns;
//! - characters outside go-yaml's printable set (C0/C1 controls, U+FEFF, anything beyond the
//!   Basic Multilingual Plane) escaped in double quotes;
//! - numbers as JSON numbers read back by go-yaml (integral floats print as integers).
//!
//! [`check_printable`] reports the values kustomize cannot print at all (NaN and infinities,
//! characters its YAML reader rejects).

use std::cmp::Ordering;

use crate::resolve::v2_needs_quotes;
use crate::value::{Mapping, Value};

const BEST_WIDTH: usize = 80;
const BEST_INDENT: isize = 2;
/// go-yaml writes a key as an explicit `? key` entry when it is longer than this many bytes.
const MAX_SIMPLE_KEY_BYTES: usize = 128;

/// Emits one document (no leading `---`), ending with a newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_document(&mut out, value);
    out
}

/// Appends one document (no leading `---`, ending with a newline) to `out`.
pub fn write_document(out: &mut String, value: &Value) {
    let mut e = Emitter {
        out,
        column: 0,
        indent: -1,
        whitespace: true,
        indention: true,
    };
    e.node(value, Ctx::ROOT);
    // Document end: go-yaml's `write_indent` at column 0.
    e.indent = -1;
    e.write_indent();
}

/// Emits several documents joined by `---` lines, as `kustomize build` prints a resource list.
pub fn documents_to_string<'a>(values: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        write_document(&mut out, v);
    }
    out
}

/// Why kustomize could not print a value (its JSON or YAML stage refuses it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct EmitError {
    /// Where the value sits, as dotted keys and `[index]` (e.g. `spec.ports[0].name`).
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

/// Checks that kustomize could print `value`: no NaN or infinite floats (Go's JSON encoder
/// rejects them) and no characters go-yaml's reader rejects when it reads the JSON back
/// (DEL, C1 controls other than NEL, U+FFFE, U+FFFF), in keys or strings.
pub fn check_printable(value: &Value) -> Result<(), EmitError> {
    let mut path = String::new();
    check_node(value, &mut path)
}

fn check_node(value: &Value, path: &mut String) -> Result<(), EmitError> {
    let fail = |path: &str, message: String| EmitError {
        path: if path.is_empty() {
            "<root>".into()
        } else {
            path.to_string()
        },
        message,
    };
    match value {
        Value::Float(f) if !f.is_finite() => {
            let shown = if f.is_nan() {
                "NaN"
            } else if *f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            Err(fail(path, format!("json: unsupported value: {shown}")))
        }
        Value::String(s) if s.chars().any(json_yaml_rejects) => Err(fail(
            path,
            "yaml: control characters are not allowed".into(),
        )),
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_node(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Map(m) => {
            for (k, v) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                if k.chars().any(json_yaml_rejects) {
                    return Err(fail(
                        path,
                        "yaml: control characters are not allowed".into(),
                    ));
                }
                check_node(v, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A string as go-yaml v2 reads it back from Go's JSON text: JSON leaves NEL (U+0085) unescaped
/// and YAML 1.1 takes it for a line break inside the double-quoted scalar, so it is folded away
/// with the spaces around it (one break becomes a space, further breaks become `\n`).
fn fold_json_nel(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() || !s.contains('\u{85}') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ' ' && c != '\u{85}' {
            out.push(c);
            continue;
        }
        // A run of spaces and NELs: spaces only survive when no NEL follows them.
        let mut spaces = 0usize;
        let mut breaks = 0usize;
        let mut cur = Some(c);
        while let Some(x) = cur {
            match x {
                ' ' if breaks == 0 => spaces += 1,
                ' ' => {}
                _ => breaks += 1,
            }
            cur = chars.next_if(|n| *n == ' ' || *n == '\u{85}');
        }
        match breaks {
            0 => out.extend(std::iter::repeat_n(' ', spaces)),
            1 => out.push(' '),
            n => out.extend(std::iter::repeat_n('\n', n - 1)),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Characters Go's JSON encoder leaves raw and go-yaml's reader then refuses.
fn json_yaml_rejects(c: char) -> bool {
    matches!(c, '\u{7F}'..='\u{84}' | '\u{86}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// go-yaml's ordering of mapping keys (its `keyList.Less` for string keys): runs of digits
/// compare as numbers, letters compare by code point, and a non-letter sorts before a letter.
pub fn natural_key_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        natural_cmp(a.as_bytes(), b.as_bytes(), |c: &u8| char::from(*c))
    } else {
        let ar: Vec<char> = a.chars().collect();
        let br: Vec<char> = b.chars().collect();
        natural_cmp(&ar, &br, |c: &char| *c)
    }
}

/// A stable merge sort that tolerates comparators that are not total orders.
///
/// go-yaml's key order is not transitive for some mixes of digits and letters (`key1x`, `key10`,
/// `key9` form a cycle; kustomize's own output then varies from run to run). The standard
/// library's sort may panic on such a comparator; this one always finishes in O(n log n) and
/// gives the same answer for the same input.
pub fn merge_sort_by<T: Clone>(items: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let n = items.len();
    if n < 2 {
        return;
    }
    // Insertion sort for short runs, then bottom-up merging through a scratch buffer.
    const RUN: usize = 16;
    for start in (0..n).step_by(RUN) {
        let end = (start + RUN).min(n);
        for i in start + 1..end {
            let mut j = i;
            while j > start && cmp(&items[j], &items[j - 1]) == Ordering::Less {
                items.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let mut buf: Vec<T> = Vec::with_capacity(n);
    let mut width = RUN;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            if mid < end {
                buf.clear();
                let (mut i, mut j) = (start, mid);
                while i < mid && j < end {
                    if cmp(&items[j], &items[i]) == Ordering::Less {
                        buf.push(items[j].clone());
                        j += 1;
                    } else {
                        buf.push(items[i].clone());
                        i += 1;
                    }
                }
                buf.extend_from_slice(&items[i..mid]);
                buf.extend_from_slice(&items[j..end]);
                items[start..end].clone_from_slice(&buf);
            }
            start = end;
        }
        width *= 2;
    }
}

fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic() && !c.is_numeric()
    }
}

fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        c.is_numeric() && !c.is_alphabetic()
    }
}

fn natural_cmp<T: PartialEq>(ar: &[T], br: &[T], ch: impl Fn(&T) -> char) -> Ordering {
    let digit_value = |c: char| (c as i64).wrapping_sub('0' as i64);
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let (ac, bc) = (ch(&ar[i]), ch(&br[i]));
        let (al, bl) = (is_letter(ac), is_letter(bc));
        if al && bl {
            return ac.cmp(&bc);
        }
        if al || bl {
            // The non-letter sorts first.
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ac == '0' || bc == '0' {
            // A zero inside a number that already has a non-zero digit still counts as part of it.
            for j in (0..i).rev() {
                let c = ch(&ar[j]);
                if !is_digit(c) {
                    break;
                }
                if c != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ch(&ar[ai])) {
            an = an.wrapping_mul(10).wrapping_add(digit_value(ch(&ar[ai])));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(ch(&br[bi])) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(ch(&br[bi])));
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ac.cmp(&bc);
    }
    ar.len().cmp(&br.len())
}

/// Formats a float as the JSON → go-yaml v2 round trip prints it.
///
/// Go's JSON encoder writes an integral float below 1e21 in positional notation from its shortest
/// round-trip digits (`-9.223372036854776e18` becomes `-9223372036854776000`); go-yaml v2 reads that
/// back as an integer when it fits in 64 bits and prints it as such, otherwise as a float in
/// `strconv.FormatFloat(f, 'g', -1, 64)` form (`1e+21`, `1.2345675e+06`, `1e-07`).
///
/// The value model keeps integers between 2^63 and 2^64 (Go's `uint64`) as floats, so an
/// integral float in that range is printed as the unsigned integer it holds.
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
        if (9_223_372_036_854_775_808.0..18_446_744_073_709_551_616.0).contains(&f) {
            return (f as u64).to_string();
        }
        let json = json_integral(f);
        if let Ok(i) = json.parse::<i64>() {
            return i.to_string();
        }
        if let Ok(u) = json.parse::<u64>() {
            return u.to_string();
        }
    }
    go_format_g(f)
}

/// Go's JSON text for an integral float below 1e21: shortest digits, padded with zeros.
fn json_integral(f: f64) -> String {
    let sci = format!("{:e}", f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: usize = exp.parse().unwrap_or(0);
    let mut out = String::with_capacity(exp + 2);
    let mut digits = 0;
    for c in mantissa.chars() {
        if c == '-' {
            out.push(c);
        } else if c.is_ascii_digit() {
            out.push(c);
            digits += 1;
        }
    }
    for _ in digits..exp + 1 {
        out.push('0');
    }
    out
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
    if !(-4..6).contains(&exp) {
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// True when a string value is written as a plain scalar, verbatim, on the line of its key or
/// sequence dash: not quoted, not a block, and with no space the emitter could fold at. Such a
/// value reads back as exactly this string, so callers may edit it in the tree instead of in
/// emitted text (Flux substitution does).
pub fn emits_plain_on_one_line(s: &str) -> bool {
    !s.is_empty()
        && !s.contains([' ', '\n', '\u{85}'])
        && !v2_needs_quotes(s)
        && analyze(s).block_plain_allowed
}

/// go-yaml's `scalar_data` flags for one scalar.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// go-yaml's printable set (its `is_printable`, which excludes tab, DEL, C1 controls, U+FEFF and
/// every character outside the Basic Multilingual Plane).
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Whether go-yaml may write `s` as a block (`|` or `>`) scalar.
pub(crate) fn block_allowed(s: &str) -> bool {
    analyze(s).block_allowed
}

/// go-yaml's `yaml_emitter_analyze_scalar`.
fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) =
        (false, false, false, false);
    let (mut line_breaks, mut special) = (false, false);
    let mut preceded_by_ws = true;
    let mut chars = value.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let followed_by_ws = next.is_none_or(is_blank);
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = is_blank(c) || is_break(c) || c == '\0';
        first = false;
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

/// Where a node sits (go-yaml's `root_context`, `mapping_context`, `simple_key_context`).
#[derive(Clone, Copy)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

impl Ctx {
    const ROOT: Ctx = Ctx {
        mapping: false,
        simple_key: false,
    };
    const SEQUENCE: Ctx = Ctx {
        mapping: false,
        simple_key: false,
    };
    const MAPPING_VALUE: Ctx = Ctx {
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: Ctx = Ctx {
        mapping: true,
        simple_key: true,
    };
    const COMPLEX_KEY: Ctx = Ctx {
        mapping: true,
        simple_key: false,
    };
}

/// The state go-yaml's block emitter keeps between writes.
struct Emitter<'o> {
    out: &'o mut String,
    /// Characters written on the current line.
    column: usize,
    /// Indentation of the current block (go-yaml's `indent`, -1 before the root node).
    indent: isize,
    /// The last character written is white space.
    whitespace: bool,
    /// Only indentation and indicators written since the last line break.
    indention: bool,
}

impl Emitter<'_> {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_ascii(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.len();
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// go-yaml's `write_break`: `\n` starts a new line; other break characters are written as
    /// they are and also reset the column.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.put_ascii(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn node(&mut self, value: &Value, ctx: Ctx) {
        match value {
            Value::Map(m) if !m.is_empty() => self.block_mapping(m),
            Value::Seq(s) if !s.is_empty() => self.block_sequence(s, ctx),
            Value::Map(_) => self.write_indicator("{}", true, false, false),
            Value::Seq(_) => self.write_indicator("[]", true, false, false),
            Value::Null => self.scalar("null", Style::Plain, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Value::Int(i) => {
                let mut buf = IntBuf::default();
                self.scalar(buf.format(*i), Style::Plain, ctx)
            }
            Value::Float(f) => self.scalar(&format_float(*f), Style::Plain, ctx),
            Value::String(s) => self.string(s, ctx),
        }
    }

    /// go-yaml v2's `stringv`: a literal block for multi-line text, plain when the text would
    /// read back as a string, double quotes otherwise.
    fn string(&mut self, s: &str, ctx: Ctx) {
        let folded = fold_json_nel(s);
        let s: &str = &folded;
        let requested = if s.contains('\n') {
            Style::Literal
        } else if v2_needs_quotes(s) {
            Style::Double
        } else {
            Style::Plain
        };
        self.scalar(s, requested, ctx);
    }

    fn scalar(&mut self, s: &str, requested: Style, ctx: Ctx) {
        let a = analyze(s);
        self.scalar_analyzed(s, requested, ctx, &a);
    }

    fn scalar_analyzed(&mut self, s: &str, requested: Style, ctx: Ctx, a: &Analysis) {
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && ctx.simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || ctx.simple_key) {
            style = Style::Double;
        }
        let saved = self.indent;
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::Single => self.write_single(s, allow_breaks),
            Style::Double => self.write_double(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
        self.indent = saved;
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        // Fast path: no space can sit past the fold column, so the text goes out as it is.
        if s.is_ascii() && (!allow_breaks || self.column + s.len() <= BEST_WIDTH + 1) {
            self.put_ascii(s);
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let bytes = s.as_bytes();
        let mut spaces = false;
        for (i, c) in s.char_indices() {
            if c == ' ' {
                let next_is_space = bytes.get(i + 1) == Some(&b' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_is_space {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let bytes = s.as_bytes();
        let mut spaces = false;
        let mut breaks = false;
        for (i, c) in s.char_indices() {
            if c == ' ' {
                let next_is_space = bytes.get(i + 1) == Some(&b' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < bytes.len()
                    && !next_is_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // Fast path: short printable ASCII without quotes or backslashes needs no escapes or folds.
        if (!allow_breaks || self.column + s.len() <= BEST_WIDTH + 1)
            && s.bytes()
                .all(|b| (0x20..0x7F).contains(&b) && b != b'"' && b != b'\\')
        {
            self.put_ascii(s);
            self.write_indicator("\"", false, false, false);
            return;
        }
        let bytes = s.as_bytes();
        let mut spaces = false;
        for (i, c) in s.char_indices() {
            if !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
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
                        for k in (0..width).rev() {
                            let digit = (v >> (4 * k)) & 0xF;
                            self.put(
                                char::from_digit(digit, 16)
                                    .unwrap_or('0')
                                    .to_ascii_uppercase(),
                            );
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < bytes.len()
                {
                    self.write_indent();
                    if bytes.get(i + 1) == Some(&b' ') {
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
        }
        self.write_indicator("\"", false, false, false);
    }

    fn write_literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.write_indicator("2", false, false, false);
        }
        let mut rev = s.chars().rev();
        let chomp = match (rev.next(), rev.next()) {
            (None, _) => Some("-"),
            (Some(last), _) if !is_break(last) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(prev)) if is_break(prev) => Some("+"),
            _ => None,
        };
        if let Some(ch) = chomp {
            self.write_indicator(ch, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
        // go-yaml leaves `whitespace` set after a literal block: the next key at the block's
        // parent column continues on the fresh line without an extra break.
    }

    fn block_mapping(&mut self, m: &Mapping) {
        let saved = self.indent;
        self.increase_indent(false, false);
        // Fast path: keys already in go-yaml's order (typical of resources) need no sorting.
        let in_order = m.keys().all(|k| k.is_ascii())
            && m.keys()
                .zip(m.keys().skip(1))
                .all(|(a, b)| natural_key_cmp(a, b) == Ordering::Less);
        if in_order {
            for (key, value) in m {
                self.mapping_entry(key, value);
            }
            self.indent = saved;
            return;
        }
        let mut entries: Vec<(std::borrow::Cow<'_, str>, &Value)> =
            m.iter().map(|(k, v)| (fold_json_nel(k), v)).collect();
        // Byte order first, so that keys go-yaml cannot order consistently (see
        // [`merge_sort_by`]) still come out the same whatever order the mapping holds them in.
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        merge_sort_by(&mut entries, |a, b| natural_key_cmp(&a.0, &b.0));
        for (key, value) in entries {
            self.mapping_entry(&key, value);
        }
        self.indent = saved;
    }

    /// One `key: value` entry of a block mapping (`key` already folded by [`fold_json_nel`]).
    fn mapping_entry(&mut self, key: &str, value: &Value) {
        self.write_indent();
        let a = analyze(key);
        if !a.multiline && key.len() <= MAX_SIMPLE_KEY_BYTES {
            self.string_analyzed(key, Ctx::SIMPLE_KEY, &a);
            self.write_indicator(":", false, false, false);
        } else {
            self.write_indicator("?", true, false, true);
            self.string_analyzed(key, Ctx::COMPLEX_KEY, &a);
            self.write_indent();
            self.write_indicator(":", true, false, true);
        }
        self.node(value, Ctx::MAPPING_VALUE);
    }

    /// `s` has been passed through [`fold_json_nel`] and analysed already.
    fn string_analyzed(&mut self, s: &str, ctx: Ctx, a: &Analysis) {
        let requested = if s.contains('\n') {
            Style::Literal
        } else if v2_needs_quotes(s) {
            Style::Double
        } else {
            Style::Plain
        };
        self.scalar_analyzed(s, requested, ctx, a);
    }

    fn block_sequence(&mut self, items: &[Value], ctx: Ctx) {
        let saved = self.indent;
        self.increase_indent(false, ctx.mapping && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Ctx::SEQUENCE);
        }
        self.indent = saved;
    }
}

/// A stack buffer for printing an `i64` without allocating.
#[derive(Default)]
struct IntBuf {
    buf: [u8; 20],
}

impl IntBuf {
    fn format(&mut self, i: i64) -> &str {
        let mut n = i.unsigned_abs();
        let mut pos = self.buf.len();
        loop {
            pos -= 1;
            self.buf[pos] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if i < 0 {
            pos -= 1;
            self.buf[pos] = b'-';
        }
        std::str::from_utf8(&self.buf[pos..]).unwrap_or("0")
    }
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
        assert_eq!(natural_key_cmp("é", "z"), Ordering::Greater);
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
        assert_eq!(roundtrip("a: \"\\U0001F600\""), "a: \"\\U0001F600\"\n");
        let long = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Maecenas suscipit ex non molestie varius.";
        assert_eq!(
            roundtrip(&format!("a:\n  value: {long}\n")),
            "a:\n  value: Lorem ipsum dolor sit amet, consectetur adipiscing elit. Maecenas suscipit\n    ex non molestie varius.\n"
        );
    }

    #[test]
    fn long_and_multiline_keys_are_explicit() {
        let key = "k".repeat(129);
        assert_eq!(roundtrip(&format!("{key}: v\n")), format!("? {key}\n: v\n"));
        assert_eq!(
            roundtrip(&format!("{key}:\n  a: 1\n  b: [x]\n")),
            format!("? {key}\n: a: 1\n  b:\n  - x\n")
        );
        assert_eq!(roundtrip("\"a\\nb\": v\n"), "? |-\n  a\n  b\n: v\n");
    }

    #[test]
    fn sorts_inconsistent_keys_without_panicking() {
        let mut keys: Vec<String> = (0..200)
            .map(|i| format!("key{}{}", i % 13, ["x", "", "0", "a"][i % 4]))
            .collect();
        merge_sort_by(&mut keys, |a, b| natural_key_cmp(a, b));
        let mut sorted: Vec<u32> = (0..100).rev().collect();
        merge_sort_by(&mut sorted, |a, b| a.cmp(b));
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn formats_floats_like_go() {
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(1e21), "1e+21");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(1234.56789), "1234.56789");
    }

    #[test]
    fn reports_unprintable_values() {
        let v = parse_one("a:\n  b: [1, .nan]\n").unwrap();
        let e = check_printable(&v).unwrap_err();
        assert_eq!(e.to_string(), "a.b[1]: json: unsupported value: NaN");
        assert!(check_printable(&Value::from("x\u{7f}")).is_err());
        assert!(check_printable(&parse_one("a: ok\n").unwrap()).is_ok());
    }
}
