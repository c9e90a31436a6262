//! INI store (sections → two-level tree), following go-ini's reading and pretty writing.

use crate::error::{Error, Result};
use crate::stores::dotenv::val_to_string;
use crate::tree::{Branch, Comment, Item, Value};

fn strip_comment_char(c: &str) -> String {
    if c.starts_with(';') {
        c.trim_start_matches([';', ' ']).to_string()
    } else if c.starts_with('#') {
        c.trim_start_matches(['#', ' ']).to_string()
    } else {
        c.to_string()
    }
}

fn perr(line: usize, m: &str) -> Error {
    Error::parse("INI", format!("line {line}: {m}"))
}

/// Parses an INI file into a branch of sections.
pub fn parse(input: &[u8]) -> Result<Branch> {
    let text =
        std::str::from_utf8(input).map_err(|e| Error::parse("INI", format!("not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').collect();
    // (name, section comment, keys: (key, value, comment))
    type Sect = (String, String, Vec<(String, String, String)>);
    let mut sections: Vec<Sect> = vec![("DEFAULT".into(), String::new(), Vec::new())];
    let mut pending = String::new();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim_end_matches('\r').trim_start();
        i += 1;
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') || line.starts_with(';') {
            if !pending.is_empty() {
                pending.push('\n');
            }
            pending.push_str(line);
            continue;
        }
        if line.starts_with('[') {
            let Some(end) = line.rfind(']') else {
                return Err(perr(lineno, "unclosed section"));
            };
            let name = line[1..end].trim().to_string();
            let name = if name.is_empty() {
                "DEFAULT".into()
            } else {
                name
            };
            sections.push((name, std::mem::take(&mut pending), Vec::new()));
            continue;
        }
        // Key.
        let (key, rest) = if let Some(r) = line.strip_prefix('`') {
            let e = r
                .find('`')
                .ok_or_else(|| perr(lineno, "unclosed quoted key"))?;
            (r[..e].to_string(), &r[e + 1..])
        } else if let Some(r) = line.strip_prefix('"') {
            let e = r
                .find('"')
                .ok_or_else(|| perr(lineno, "unclosed quoted key"))?;
            (r[..e].to_string(), &r[e + 1..])
        } else {
            let e = line
                .find(['=', ':'])
                .ok_or_else(|| perr(lineno, "key-value delimiter not found"))?;
            (line[..e].trim().to_string(), &line[e..])
        };
        let rest = rest.trim_start();
        let rest = rest
            .strip_prefix(['=', ':'])
            .ok_or_else(|| perr(lineno, "key-value delimiter not found"))?
            .trim_start();
        let value = if let Some(r) = rest.strip_prefix("\"\"\"") {
            if let Some(e) = r.find("\"\"\"") {
                r[..e].to_string()
            } else {
                let mut v = r.to_string();
                loop {
                    if i >= lines.len() {
                        return Err(perr(lineno, "unclosed \"\"\" value"));
                    }
                    let l = lines[i].trim_end_matches('\r');
                    i += 1;
                    v.push('\n');
                    if let Some(e) = l.find("\"\"\"") {
                        v.push_str(&l[..e]);
                        break;
                    }
                    v.push_str(l);
                }
                v
            }
        } else if let Some(r) = rest.strip_prefix('`') {
            match r.find('`') {
                Some(e) => r[..e].to_string(),
                None => rest.to_string(),
            }
        } else if rest.trim_end().len() >= 2
            && ((rest.starts_with('"') && rest.trim_end().ends_with('"'))
                || (rest.starts_with('\'') && rest.trim_end().ends_with('\'')))
        {
            let t = rest.trim_end();
            t[1..t.len() - 1].to_string()
        } else {
            let v = match rest.find(['#', ';']) {
                Some(p) => &rest[..p],
                None => rest,
            };
            v.trim().to_string()
        };
        let Some(sect) = sections.last_mut() else {
            return Err(perr(lineno, "internal: no section"));
        };
        let comment = std::mem::take(&mut pending);
        if let Some(existing) = sect.2.iter_mut().find(|e| e.0 == key) {
            existing.1 = value;
            existing.2 = comment;
        } else {
            sect.2.push((key, value, comment));
        }
    }
    let mut b = Branch::new();
    for (idx, (name, comment, keys)) in sections.into_iter().enumerate() {
        if idx == 0 && keys.is_empty() && comment.is_empty() {
            continue;
        }
        let mut items = Branch::new();
        if !comment.is_empty() {
            items.push(Item::Comment(Comment {
                text: strip_comment_char(&comment),
                inline: false,
            }));
        }
        for (k, v, c) in keys {
            items.push(Item::Pair(k, Value::Str(v)));
            if !c.is_empty() {
                items.push(Item::Comment(Comment {
                    text: strip_comment_char(&c),
                    inline: false,
                }));
            }
        }
        b.push(Item::Pair(name, Value::Map(items)));
    }
    Ok(b)
}

fn comment_lines(c: &str, out: &mut String) {
    for l in c.split('\n') {
        if l.starts_with('#') || l.starts_with(';') {
            out.push_str(&l[..1]);
            out.push(' ');
            out.push_str(l[1..].trim());
        } else {
            out.push_str("; ");
            out.push_str(l.trim());
        }
        out.push('\n');
    }
}

/// Emits sections in go-ini's pretty format (aligned `=`, blank line between sections).
pub fn emit(b: &Branch) -> Result<String> {
    let mut out = String::new();
    let mut first = true;
    for item in b {
        let Item::Pair(name, v) = item else { continue };
        let Value::Map(items) = v else {
            return Err(Error::Input(format!(
                "INI: section `{name}` must be a mapping of keys to values"
            )));
        };
        let mut section_comment = String::new();
        let mut start = 0;
        if let Some(Item::Comment(c)) = items.first() {
            section_comment = c.text.clone();
            start = 1;
        }
        // keys with the comment to write before them
        let mut keys: Vec<(String, String, String)> = Vec::new();
        for it in &items[start..] {
            match it {
                Item::Comment(c) => {
                    if let Some(last) = keys.last_mut() {
                        last.2 = c.text.clone();
                    }
                }
                Item::Pair(k, v) => {
                    if matches!(v, Value::Map(_) | Value::Seq(_)) {
                        return Err(Error::Input(format!(
                            "INI: value of `{name}.{k}` must be a scalar"
                        )));
                    }
                    if let Some(e) = keys.iter_mut().find(|e| e.0 == *k) {
                        e.1 = val_to_string(v);
                    } else {
                        keys.push((k.clone(), val_to_string(v), String::new()));
                    }
                }
            }
        }
        if name == "DEFAULT" && first && keys.is_empty() && section_comment.is_empty() {
            continue;
        }
        if !first {
            out.push('\n');
        }
        if !section_comment.is_empty() {
            comment_lines(&section_comment, &mut out);
        }
        if !(first && name == "DEFAULT") {
            out.push('[');
            out.push_str(name);
            out.push_str("]\n");
        }
        first = false;
        let fmt_key = |k: &str| {
            if k.contains('"') || k.contains('=') || k.contains(':') {
                format!("`{k}`")
            } else if k.contains('`') {
                format!("\"\"\"{k}\"\"\"")
            } else {
                k.to_string()
            }
        };
        let align = keys
            .iter()
            .map(|(k, _, _)| fmt_key(k).len())
            .max()
            .unwrap_or(0);
        for (k, v, c) in &keys {
            if !c.is_empty() {
                comment_lines(c, &mut out);
            }
            let fk = fmt_key(k);
            out.push_str(&fk);
            for _ in fk.len()..align {
                out.push(' ');
            }
            out.push_str(" = ");
            if v.contains('\n') || v.contains('`') {
                out.push_str("\"\"\"");
                out.push_str(v);
                out.push_str("\"\"\"");
            } else if v.contains('#') || v.contains(';') {
                out.push('`');
                out.push_str(v);
                out.push('`');
            } else if v.trim().len() != v.len() {
                out.push('"');
                out.push_str(v);
                out.push('"');
            } else {
                out.push_str(v);
            }
            out.push('\n');
        }
    }
    Ok(out)
}
