//! The in-memory document model shared by every store (YAML, JSON, dotenv, INI, binary).
//!
//! It mirrors the SOPS tree: mappings keep their key order and may carry comments between
//! entries; sequences may carry comments between items.

/// A comment line (without the leading `#` / `;`).
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// The comment text after the comment marker.
    pub text: String,
    /// Whether the comment stood on the same line as a value (`key: value # comment`).
    pub inline: bool,
}

/// One entry of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A `key: value` pair.
    Pair(String, Value),
    /// A comment line between entries.
    Comment(Comment),
}

/// An ordered mapping.
pub type Branch = Vec<Item>;

/// A node of the document tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// A string.
    Str(String),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Raw bytes (SOPS `type:bytes`).
    Bytes(Vec<u8>),
    /// An RFC 3339 timestamp (SOPS `type:time`), kept as text.
    Time(String),
    /// An ordered mapping.
    Map(Branch),
    /// A sequence (may contain [`Value::Comment`] items).
    Seq(Vec<Value>),
    /// A comment inside a sequence.
    Comment(Comment),
}

impl Value {
    /// Looks a key up in a mapping value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(b) => branch_get(b, key),
            _ => None,
        }
    }

    /// The string content of a [`Value::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Looks a key up in a branch.
pub fn branch_get<'a>(b: &'a Branch, key: &str) -> Option<&'a Value> {
    b.iter().find_map(|i| match i {
        Item::Pair(k, v) if k == key => Some(v),
        _ => None,
    })
}

/// Formats a float like Go's `strconv.FormatFloat(f, 'f', -1, 64)`.
pub fn go_float_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        // Rust's Display prints the shortest round-trip digits and never an exponent.
        format!("{f}")
    }
}

/// Formats a float like Go's `strconv.FormatFloat(f, 'g', -1, 64)` (used by YAML emission).
pub fn go_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest digits via the exponent formatter: d.ddddde<exp>.
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    // Go's shortest 'g' switches to the exponent form below 1e-4 and from 1e6 on.
    if !(-4..6).contains(&exp) {
        return go_exp(mant, exp);
    }
    go_float_f(f)
}

fn go_exp(mant: &str, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    let a = exp.abs();
    if a < 10 {
        format!("{mant}e{sign}0{a}")
    } else {
        format!("{mant}e{sign}{a}")
    }
}

/// Formats a float like Go's `encoding/json` (ES6 style).
pub fn go_float_json(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let e = format!("{f:e}");
        let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{}", exp.abs())
    } else {
        go_float_f(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(go_float_f(1234568000.0), "1234568000");
        assert_eq!(go_float_f(1234.56789), "1234.56789");
        assert_eq!(go_float_g(1234568000.0), "1.234568e+09");
        assert_eq!(go_float_g(1234.56789), "1234.56789");
        assert_eq!(go_float_g(123456.0), "123456");
        assert_eq!(go_float_g(1234567.0), "1.234567e+06");
        assert_eq!(go_float_g(0.0001), "0.0001");
        assert_eq!(go_float_g(0.00001), "1e-05");
        assert_eq!(go_float_g(25.4), "25.4");
        assert_eq!(go_float_g(1.0), "1");
        assert_eq!(go_float_json(25.4), "25.4");
        assert_eq!(go_float_json(1e21), "1e+21");
    }
}
