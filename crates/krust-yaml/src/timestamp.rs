//! YAML timestamps as go-yaml recognises them.
//!
//! go-yaml (v2 and v3) treats a plain scalar as a timestamp when it starts with `YYYY-` and Go's
//! `time.Parse` accepts it with one of four layouts: `2006-1-2T15:4:5.999999999Z07:00`, the same
//! with a lower-case `t`, `2006-1-2 15:4:5.999999999` (any run of spaces) and `2006-1-2`. Field
//! ranges are checked (month 1–12, the day against the month's length, leap years included, hour
//! < 24, minute and second < 60, zone offset hour ≤ 24 and minute ≤ 60).
//!
//! This matters twice in kustomize's pipeline: go-yaml v3 decodes an unquoted timestamp into a
//! Go `time.Time`, which JSON then prints in RFC 3339 form (`2001-12-14` becomes
//! `"2001-12-14T00:00:00Z"`), and go-yaml v2 quotes any string that would read back as one.

/// A timestamp accepted by go-yaml, reduced to what its RFC 3339 rendering needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// Zone offset in minutes east of UTC.
    offset_minutes: i32,
}

impl Timestamp {
    /// Parses `s` the way go-yaml's `parseTimestamp` does; `None` when it is not a timestamp.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
            return None;
        }
        let mut p = Cursor { b, i: 5 };
        let year = b[..4]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        let month = p.num()?;
        p.lit(b'-')?;
        let day = p.num()?;
        if !(1..=12).contains(&month) {
            return None;
        }
        let mut ts = Timestamp {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            offset_minutes: 0,
        };
        if p.i == b.len() {
            return ts.valid_day().then_some(ts);
        }
        let with_zone = match b[p.i] {
            b'T' | b't' => {
                p.i += 1;
                true
            }
            b' ' => {
                while p.i < b.len() && b[p.i] == b' ' {
                    p.i += 1;
                }
                false
            }
            _ => return None,
        };
        ts.hour = p.num()?;
        p.lit(b':')?;
        ts.minute = p.num()?;
        p.lit(b':')?;
        ts.second = p.num()?;
        if ts.hour >= 24 || ts.minute >= 60 || ts.second >= 60 {
            return None;
        }
        // Optional fraction: `.` or `,` then at least one digit; digits past the ninth are ignored.
        if p.i + 1 < b.len() && matches!(b[p.i], b'.' | b',') && b[p.i + 1].is_ascii_digit() {
            p.i += 1;
            let mut scale = 100_000_000;
            while p.i < b.len() && b[p.i].is_ascii_digit() {
                ts.nanos += u32::from(b[p.i] - b'0') * scale;
                scale /= 10;
                p.i += 1;
            }
        }
        if with_zone {
            if p.i < b.len() && b[p.i] == b'Z' {
                p.i += 1;
            } else {
                // `±hh:mm`, exactly six bytes.
                let z = b.get(p.i..p.i + 6)?;
                let sign = match z[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                if z[3] != b':' || ![z[1], z[2], z[4], z[5]].iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let hh = i32::from(z[1] - b'0') * 10 + i32::from(z[2] - b'0');
                let mm = i32::from(z[4] - b'0') * 10 + i32::from(z[5] - b'0');
                if hh > 24 || mm > 60 {
                    return None;
                }
                ts.offset_minutes = sign * (hh * 60 + mm);
                p.i += 6;
            }
        }
        (p.i == b.len() && ts.valid_day()).then_some(ts)
    }

    fn valid_day(&self) -> bool {
        let leap = self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0);
        let days = match self.month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (1..=days).contains(&self.day)
    }

    /// True when Go's `time.Time.MarshalJSON` refuses the value (zone offset of 24 hours or more).
    pub fn json_unsupported(&self) -> bool {
        self.offset_minutes.abs() >= 24 * 60
    }

    /// The RFC 3339 text Go's JSON encoding gives the timestamp (`time.RFC3339Nano`).
    pub fn to_rfc3339(&self) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(32);
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        if self.offset_minutes == 0 {
            out.push('Z');
        } else {
            let abs = self.offset_minutes.abs();
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let _ = write!(out, "{sign}{:02}:{:02}", abs / 60, abs % 60);
        }
        out
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// One or two digits (Go's `getnum` without the fixed width flag).
    fn num(&mut self) -> Option<u32> {
        let d0 = *self.b.get(self.i).filter(|c| c.is_ascii_digit())?;
        self.i += 1;
        let mut n = u32::from(d0 - b'0');
        if let Some(&d1) = self.b.get(self.i).filter(|c| c.is_ascii_digit()) {
            n = n * 10 + u32::from(d1 - b'0');
            self.i += 1;
        }
        Some(n)
    }

    fn lit(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        Timestamp::parse(s).map(|t| t.to_rfc3339())
    }

    #[test]
    fn accepts_go_yaml_layouts() {
        assert_eq!(norm("2001-12-14").as_deref(), Some("2001-12-14T00:00:00Z"));
        assert_eq!(norm("2001-1-2").as_deref(), Some("2001-01-02T00:00:00Z"));
        assert_eq!(
            norm("2001-12-14t21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(
            norm("2001-12-14   1:2:3,5").as_deref(),
            Some("2001-12-14T01:02:03.5Z")
        );
        assert_eq!(
            norm("2001-12-14T21:59:43.123456789123Z").as_deref(),
            Some("2001-12-14T21:59:43.123456789Z")
        );
        assert_eq!(norm("2000-02-29").as_deref(), Some("2000-02-29T00:00:00Z"));
    }

    #[test]
    fn rejects_out_of_range_and_other_shapes() {
        for s in [
            "2001-02-29",
            "2001-02-30",
            "2001-13-01",
            "2001-00-10",
            "2001-12-00",
            "2001-12-14T",
            "2001-12-14T25:00:00Z",
            "2001-12-14T21:59:60Z",
            "2001-12-14T21:59:43+0500",
            "2001-12-14T21:59:43+25:00",
            "2001-12-14T21:59:43.Z",
            "2001-12-14 21:59",
            "02001-12-14",
            "2001-012-14",
            "20011214",
            "2001-12-14x",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-14T1:2:3",
        ] {
            assert_eq!(Timestamp::parse(s), None, "{s}");
        }
        assert!(Timestamp::parse("2001-12-14T21:59:43+24:00")
            .unwrap()
            .json_unsupported());
    }
}
