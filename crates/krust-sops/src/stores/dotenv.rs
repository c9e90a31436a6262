//! dotenv store: `KEY=VALUE` lines, `#` comments, `\n` escapes.

use crate::error::{Error, Result};
use crate::tree::{go_float_f, go_float_g, Branch, Comment, Item, Value};

/// Parses a dotenv file.
pub fn parse(input: &[u8]) -> Result<Branch> {
    let text = std::str::from_utf8(input)
        .map_err(|e| Error::parse("dotenv", format!("not UTF-8: {e}")))?;
    let mut b = Branch::new();
    for (n, line) in text.split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            b.push(Item::Comment(Comment {
                text: c.to_string(),
                inline: false,
            }));
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(Error::parse(
                "dotenv",
                format!(
                    "line {}: invalid dotenv input line (no `=`): {line:?}",
                    n + 1
                ),
            ));
        };
        b.push(Item::Pair(
            k.to_string(),
            Value::Str(v.replace("\\n", "\n")),
        ));
    }
    Ok(b)
}

/// Go sops' `ValToString` for scalars.
pub fn val_to_string(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        // Go formats times with RFC 3339 (no fractional seconds) here.
        Value::Time(t) => crate::timestamp::without_fraction(t),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            // Go: FormatFloat(f, 'G', -1, 64), with one decimal when it reads like an integer.
            let g = go_float_g(*f).replace('e', "E");
            if g.contains('.') || g.contains('E') || f.is_nan() || f.is_infinite() {
                g
            } else {
                format!("{}.0", go_float_f(*f))
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::Null => "<nil>".into(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Comment(c) => c.text.clone(),
        Value::Map(_) | Value::Seq(_) => String::new(),
    }
}

/// Emits a dotenv file.
pub fn emit(b: &Branch) -> Result<String> {
    let mut out = String::new();
    for item in b {
        match item {
            Item::Comment(c) => {
                out.push('#');
                out.push_str(&c.text);
                out.push('\n');
            }
            Item::Pair(k, v) => {
                if matches!(v, Value::Map(_) | Value::Seq(_)) {
                    return Err(Error::Input(format!(
                        "cannot use complex value in dotenv file; offending key {k}"
                    )));
                }
                let s = match v {
                    Value::Str(s) => s.replace('\n', "\\n"),
                    v => val_to_string(v),
                };
                out.push_str(k);
                out.push('=');
                out.push_str(&s);
                out.push('\n');
            }
        }
    }
    Ok(out)
}
