//! Plain-scalar resolution: what type a YAML scalar has when go-yaml reads it.
//!
//! Two readers matter to kustomize output. go-yaml **v3** reads the input files (YAML 1.2-ish:
//! only `true`/`false` are booleans) and go-yaml **v2** decides which strings must be quoted on
//! output (YAML 1.1: `yes`, `on`, `y`, … are booleans too). Both share the number rules: Go's
//! `strconv.ParseInt(s, 0, 64)` / `ParseUint` after removing `_`, then the float pattern
//! `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` checked with `ParseFloat` (an
//! out-of-range float such as `1e400` stays a string), and timestamps (see
//! [`crate::timestamp`]). A scalar starting with `.` is read by `ParseFloat` directly.

use crate::timestamp::Timestamp;
use crate::value::Value;

/// A number or string as go-yaml's resolver sees a plain scalar starting with a digit or sign.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// Fits in `i64`.
    Int(i64),
    /// Fits in `u64` only.
    Uint(u64),
    /// A float (finite).
    Float(f64),
}

fn strip_underscores(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('_') {
        std::borrow::Cow::Owned(s.replace('_', ""))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint(s, 0, 64)`.
pub(crate) fn go_parse_int(s: &str) -> Option<Number> {
    let (neg, signed, body) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
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
    if digits.is_empty() || !digits.bytes().all(|c| (c as char).is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            return Some(Number::Int((magnitude as i64).wrapping_neg()));
        }
        return None;
    }
    if magnitude <= i64::MAX as u64 {
        Some(Number::Int(magnitude as i64))
    } else if !signed {
        // ParseUint accepts no sign at all.
        Some(Number::Uint(magnitude))
    } else {
        None
    }
}

/// go-yaml's `yamlStyleFloat` pattern.
pub(crate) fn is_yaml_style_float(s: &str) -> bool {
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

/// Go's `underscoreOK` for a decimal literal: `_` only between digits.
fn go_underscores_ok(s: &str) -> bool {
    let mut prev_digit = false;
    let mut prev_underscore = false;
    for c in s.bytes() {
        if c == b'_' {
            if !prev_digit {
                return false;
            }
            prev_underscore = true;
            prev_digit = false;
        } else {
            if prev_underscore && !c.is_ascii_digit() {
                return false;
            }
            prev_digit = c.is_ascii_digit();
            prev_underscore = false;
        }
    }
    !prev_underscore
}

/// A finite float from decimal text already known to match the float pattern (after `_` removal).
fn finite_float(plain: &str) -> Option<f64> {
    plain.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// The number a plain scalar starting with a digit or sign resolves to (after timestamps, which the
/// caller checks first), if any.
pub(crate) fn resolve_number(text: &str) -> Option<Number> {
    let plain = strip_underscores(text);
    if let Some(n) = go_parse_int(&plain) {
        return Some(n);
    }
    if is_yaml_style_float(&plain) {
        return finite_float(&plain).map(Number::Float);
    }
    None
}

/// `strconv.ParseFloat(text, 64)` for a scalar starting with `.` (no `_` removal here).
pub(crate) fn resolve_dot_float(text: &str) -> Option<f64> {
    if !go_underscores_ok(text) {
        return None;
    }
    let plain = strip_underscores(text);
    if is_yaml_style_float(&plain) {
        finite_float(&plain)
    } else {
        None
    }
}

/// What an untagged plain scalar means to go-yaml v3 when decoded into an untyped value.
///
/// Timestamps become the RFC 3339 string JSON prints for them; `Err` carries the reason when the
/// scalar is a timestamp JSON cannot print.
pub(crate) fn resolve_plain_v3(text: &str) -> Result<Value, String> {
    Ok(resolve_plain_v3_typed(text)?.unwrap_or_else(|| Value::String(text.to_string())))
}

/// [`resolve_plain_v3`] without building the common result: `None` means "the string `text`".
pub(crate) fn resolve_plain_v3_typed(text: &str) -> Result<Option<Value>, String> {
    let Some(&first) = text.as_bytes().first() else {
        return Ok(Some(Value::Null));
    };
    // Most scalars are words: only these first bytes can start anything but a string.
    if !matches!(
        first,
        b'0'..=b'9' | b'-' | b'+' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F'
    ) {
        return Ok(None);
    }
    match text {
        "~" | "null" | "Null" | "NULL" => return Ok(Some(Value::Null)),
        "true" | "True" | "TRUE" => return Ok(Some(Value::Bool(true))),
        "false" | "False" | "FALSE" => return Ok(Some(Value::Bool(false))),
        ".nan" | ".NaN" | ".NAN" => return Ok(Some(Value::Float(f64::NAN))),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Ok(Some(Value::Float(f64::INFINITY)))
        }
        "-.inf" | "-.Inf" | "-.INF" => return Ok(Some(Value::Float(f64::NEG_INFINITY))),
        _ => {}
    }
    if first == b'.' {
        return Ok(resolve_dot_float(text).map(Value::Float));
    }
    if !(first.is_ascii_digit() || first == b'-' || first == b'+') {
        return Ok(None);
    }
    if first.is_ascii_digit() {
        if let Some(ts) = Timestamp::parse(text) {
            if ts.json_unsupported() {
                return Err(format!(
                    "timestamp `{text}` has a time zone offset of 24 hours or more, which JSON cannot print"
                ));
            }
            return Ok(Some(Value::String(ts.to_rfc3339())));
        }
    }
    Ok(match resolve_number(text) {
        Some(Number::Int(i)) => Some(Value::Int(i)),
        // Kept as a float: the value model has no unsigned integers.
        Some(Number::Uint(u)) => Some(Value::Float(u as f64)),
        Some(Number::Float(f)) => Some(Value::Float(f)),
        None => None,
    })
}

/// Would go-yaml v2 read this text, written as a plain scalar, as anything but a string?
/// (Its encoder then double-quotes the string.) Base-60 floats such as `1:20` are quoted too.
pub(crate) fn v2_needs_quotes(s: &str) -> bool {
    let Some(&first) = s.as_bytes().first() else {
        return true;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => matches!(
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
                | "true"
                | "True"
                | "TRUE"
                | "false"
                | "False"
                | "FALSE"
                | "on"
                | "On"
                | "ON"
                | "off"
                | "Off"
                | "OFF"
                | "~"
                | "null"
                | "Null"
                | "NULL"
        ),
        b'.' => {
            matches!(s, ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF")
                || resolve_dot_float(s).is_some()
        }
        b'0'..=b'9' | b'-' | b'+' => {
            if matches!(s, "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF") {
                return true;
            }
            (first.is_ascii_digit() && Timestamp::parse(s).is_some())
                || resolve_number(s).is_some()
                || is_base60_float(s)
        }
        _ => false,
    }
}

/// YAML 1.1 base-60 floats (`190:20:30.15`), which go-yaml v2 quotes for older readers:
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
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
        // `[0-5]?[0-9]`: one digit, or two with the first in 0–5.
        if i < b.len() && b[i].is_ascii_digit() {
            if i + 1 < b.len() && b[i].is_ascii_digit() && b[i] <= b'5' && b[i + 1].is_ascii_digit()
            {
                i += 2;
            } else {
                i += 1;
            }
        } else {
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

/// Decodes standard base64 as Go's `base64.StdEncoding.DecodeString` does (padding required,
/// `\r` and `\n` ignored, non-zero padding bits tolerated).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'\n' && *c != b'\r')
        .collect();
    crate::GO_STD_BASE64.decode(clean).ok()
}

/// Bytes as a string the way Go's JSON encoder prints them: each byte that does not start a
/// valid UTF-8 sequence becomes U+FFFD.
pub(crate) fn go_lossy_utf8(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                out.push('\u{FFFD}');
                rest = &rest[good + 1..];
            }
        }
    }
    out
}

/// The text of a folded (`>`) block scalar after kustomize's internal round trip.
///
/// kustomize re-encodes each resource with go-yaml v3, which keeps the folded style, and reads
/// it back. go-yaml's folded-scalar writer adds an extra line break after a line that does not
/// start with a space whenever the text's *first* character is not a space (it scans from the
/// start of the text instead of the current position), so a line followed by a more-indented
/// line gains an empty line in between: `a\n  b\nc\n` comes back as `a\n\n  b\nc\n`.
/// Text go-yaml would not write as a block scalar (trailing spaces, control characters, …) goes
/// through double quotes unchanged.
pub(crate) fn kyaml_folded_roundtrip(text: &str) -> Option<String> {
    if !text.contains('\n') || !crate::emit::block_allowed(text) {
        return None;
    }
    let blank = |c: Option<char>| matches!(c, Some(' ' | '\t'));
    let is_break = |c: char| matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
    // What the writer's faulty look-ahead sees: the first non-break character of the text.
    let first_after_breaks = text.chars().find(|c| !is_break(*c));
    let extra_break = !matches!(first_after_breaks, None | Some(' ' | '\t' | '\0'));
    // 1. Write, without indentation (it is stripped again on reading).
    let mut out = String::with_capacity(text.len() + 8);
    let (mut breaks, mut leading_spaces) = (true, true);
    for c in text.chars() {
        if is_break(c) {
            if !breaks && !leading_spaces && c == '\n' && extra_break {
                out.push('\n');
            }
            out.push(c);
            breaks = true;
        } else {
            if breaks {
                leading_spaces = c == ' ' || c == '\t';
            }
            out.push(c);
            breaks = false;
        }
    }
    // Chomping indicator the writer chooses for the original text.
    let mut rev = text.chars().rev();
    let chomp = match (rev.next(), rev.next()) {
        (Some(l), _) if !is_break(l) => -1,
        (Some(_), None) => 1,
        (Some(_), Some(p)) if is_break(p) => 1,
        _ => 0,
    };
    // 2. Read back as a folded block scalar (go-yaml's scanner, lines split at `\n`).
    let mut s = String::with_capacity(out.len());
    let mut leading_break = "";
    let mut trailing_breaks = String::new();
    let mut leading_blank = false;
    let body = out.strip_suffix('\n').unwrap_or(&out);
    let ends_with_break = out.ends_with('\n');
    let lines: Vec<&str> = body.split('\n').collect();
    let count = lines.len();
    for (n, line) in lines.into_iter().enumerate() {
        let terminated = n + 1 < count || ends_with_break;
        if line.is_empty() {
            if terminated {
                trailing_breaks.push('\n');
            }
            continue;
        }
        let trailing_blank = blank(line.chars().next());
        if leading_break == "\n" && !leading_blank && !trailing_blank {
            if trailing_breaks.is_empty() {
                s.push(' ');
            }
        } else {
            s.push_str(leading_break);
        }
        s.push_str(&trailing_breaks);
        trailing_breaks.clear();
        leading_blank = blank(line.chars().next());
        s.push_str(line);
        leading_break = if terminated { "\n" } else { "" };
    }
    if chomp != -1 {
        s.push_str(leading_break);
    }
    if chomp == 1 {
        s.push_str(&trailing_breaks);
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_go() {
        assert_eq!(go_parse_int("0777"), Some(Number::Int(511)));
        assert_eq!(go_parse_int("08"), None);
        assert_eq!(go_parse_int("-0b101"), Some(Number::Int(-5)));
        assert_eq!(
            go_parse_int("18446744073709551615"),
            Some(Number::Uint(u64::MAX))
        );
        assert_eq!(go_parse_int("+18446744073709551615"), None);
        assert_eq!(resolve_number("1e400"), None);
        assert_eq!(resolve_number("1e-400"), Some(Number::Float(0.0)));
        assert_eq!(resolve_dot_float("._5"), None);
        assert_eq!(resolve_dot_float(".5_5"), Some(0.55));
    }

    #[test]
    fn v2_quoting() {
        for s in [
            "",
            "yes",
            "On",
            "n",
            "~",
            "1:20",
            "0x1F",
            "1e3",
            ".5",
            "2001-12-14",
            "-.inf",
            "1_000",
        ] {
            assert!(v2_needs_quotes(s), "{s}");
        }
        for s in [
            "<<",
            "1:60",
            "1e400",
            "._5",
            "2001-02-30",
            "1.0.0",
            "yess",
            ".",
            "-",
            "NaN",
            "0x1p-2",
        ] {
            assert!(!v2_needs_quotes(s), "{s}");
        }
    }

    #[test]
    fn base64_and_lossy() {
        assert_eq!(decode_base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64("aGVsbG8"), None);
        // Go's StdEncoding tolerates non-zero bits in the last character; so must we.
        assert_eq!(decode_base64("aGVsbG9=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64("aGVs\nbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(go_lossy_utf8(b"a\xe2\x82b"), "a\u{FFFD}\u{FFFD}b");
    }

    #[test]
    fn folded_scalars_gain_go_yamls_extra_break() {
        assert_eq!(
            kyaml_folded_roundtrip("a\n  indented\nb\n").as_deref(),
            Some("a\n\n  indented\nb\n")
        );
        assert_eq!(kyaml_folded_roundtrip("a b\n").as_deref(), Some("a b\n"));
        assert_eq!(kyaml_folded_roundtrip("a\nb\n").as_deref(), Some("a\nb\n"));
        assert_eq!(
            kyaml_folded_roundtrip("\n\nx\n").as_deref(),
            Some("\n\nx\n")
        );
        assert_eq!(kyaml_folded_roundtrip("no break"), None);
    }
}
