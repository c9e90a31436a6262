//! YAML timestamps as go-yaml v3 reads them (they become SOPS `time` values) and their RFC 3339
//! text as Go's `time.Time` writes it.

fn num(s: &str, min_len: usize, max_len: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n < min_len || n > max_len {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses the timestamp forms go-yaml v3 accepts (`2006-1-2`, `2006-1-2 15:4:5[.f]`,
/// `2006-1-2T15:4:5[.f](Z|±07:00)`, lower-case `t` too) and returns the time formatted like
/// Go's `time.RFC3339Nano`.
pub fn parse_yaml_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 6 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year: i64 = s[..4].parse().ok()?;
    let (month, rest) = num(&s[5..], 1, 2)?;
    let rest = rest.strip_prefix('-')?;
    let (day, rest) = num(rest, 1, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if rest.is_empty() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let (zoned, rest) = if let Some(r) = rest.strip_prefix(['T', 't']) {
        (true, r)
    } else if let Some(r) = rest.strip_prefix(' ') {
        (false, r)
    } else {
        return None;
    };
    let (h, rest) = num(rest, 1, 2)?;
    let rest = rest.strip_prefix(':')?;
    let (mi, rest) = num(rest, 1, 2)?;
    let rest = rest.strip_prefix(':')?;
    let (sec, mut rest) = num(rest, 1, 2)?;
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut frac = String::new();
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return None;
        }
        frac = r[..n].trim_end_matches('0').to_string();
        rest = &r[n..];
    }
    let zone = if zoned {
        if rest == "Z" {
            "Z".to_string()
        } else {
            let sign = rest.chars().next().filter(|c| *c == '+' || *c == '-')?;
            let (zh, r) = num(&rest[1..], 2, 2)?;
            let r = r.strip_prefix(':')?;
            let (zm, r) = num(r, 2, 2)?;
            if !r.is_empty() || zh > 24 || zm > 59 {
                return None;
            }
            if zh == 0 && zm == 0 {
                "Z".to_string()
            } else {
                format!("{sign}{zh:02}:{zm:02}")
            }
        }
    } else {
        if !rest.is_empty() {
            return None;
        }
        "Z".to_string()
    };
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!("{date}T{h:02}:{mi:02}:{sec:02}{frac}{zone}"))
}

/// Drops fractional seconds (Go `time.RFC3339` instead of `RFC3339Nano`).
pub fn without_fraction(t: &str) -> String {
    match (t.find('.'), t.rfind(['Z', '+', '-'])) {
        (Some(dot), Some(z)) if z > dot => format!("{}{}", &t[..dot], &t[z..]),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_yaml_timestamp("2024-01-01").as_deref(),
            Some("2024-01-01T00:00:00Z")
        );
        assert_eq!(
            parse_yaml_timestamp("2006-01-02T15:04:05+07:06").as_deref(),
            Some("2006-01-02T15:04:05+07:06")
        );
        assert_eq!(
            parse_yaml_timestamp("2025-01-02 03:04:05").as_deref(),
            Some("2025-01-02T03:04:05Z")
        );
        assert_eq!(
            parse_yaml_timestamp("2025-1-2t3:4:5.120Z").as_deref(),
            Some("2025-01-02T03:04:05.12Z")
        );
        assert_eq!(parse_yaml_timestamp("2025-02-30"), None);
        assert_eq!(parse_yaml_timestamp("2025-01-02x"), None);
        assert_eq!(parse_yaml_timestamp("1234"), None);
        assert_eq!(
            without_fraction("2025-01-02T03:04:05.12Z"),
            "2025-01-02T03:04:05Z"
        );
        assert_eq!(
            without_fraction("2025-01-02T03:04:05-01:00"),
            "2025-01-02T03:04:05-01:00"
        );
    }
}
