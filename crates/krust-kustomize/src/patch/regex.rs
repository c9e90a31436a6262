//! A small regular-expression engine for patch target selectors.
//!
//! kustomize compiles selector fields with Go's RE2 (`regexp.Compile`) and anchors them as
//! `^(?:pattern)$`. Selector patterns are short names (`app-.*`, `foo|bar`, `v1(beta1)?`), so
//! this module implements the RE2 subset they use — literals, `.`, classes (`[a-z]`, `[^…]`,
//! `\d \w \s` and their negations), groups (`(…)`, `(?:…)`), alternation, the quantifiers
//! `* + ? {n} {n,} {n,m}` (lazy forms accepted) and `^`/`$` — and matches by simulating the
//! compiled automaton (time linear in the input, no backtracking).

use thiserror::Error;

/// A pattern that failed to compile.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("error parsing regexp: {message}: `{pattern}`")]
pub struct RegexError {
    /// What is wrong (Go's wording where it has one).
    pub message: String,
    /// The offending pattern.
    pub pattern: String,
}

#[derive(Debug, Clone)]
enum Node {
    Empty,
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    AnyNotNl,
    Start,
    End,
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

#[derive(Debug, Clone)]
enum Inst {
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    AnyNotNl,
    Start,
    End,
    Split(usize, usize),
    Jmp(usize),
    Match,
}

/// A compiled, fully anchored pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    prog: Vec<Inst>,
    /// Set when the pattern has no metacharacters: matching is string equality.
    literal: Option<String>,
}

const MAX_PROGRAM: usize = 20_000;

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    pattern: &'a str,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> RegexError {
        RegexError {
            message: message.to_string(),
            pattern: self.pattern.to_string(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn parse_alt(&mut self) -> Result<Node, RegexError> {
        let mut alts = vec![self.parse_concat()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alts.push(self.parse_concat()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    fn parse_concat(&mut self) -> Result<Node, RegexError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.parse_atom()?;
            let atom = self.parse_quantifiers(atom)?;
            items.push(atom);
        }
        Ok(Node::Concat(items))
    }

    fn parse_quantifiers(&mut self, mut atom: Node) -> Result<Node, RegexError> {
        loop {
            let (min, max) = match self.peek() {
                Some('*') => {
                    self.pos += 1;
                    (0, None)
                }
                Some('+') => {
                    self.pos += 1;
                    (1, None)
                }
                Some('?') => {
                    self.pos += 1;
                    (0, Some(1))
                }
                Some('{') => match self.parse_braces() {
                    Some(r) => r,
                    None => return Ok(atom),
                },
                _ => return Ok(atom),
            };
            if matches!(atom, Node::Repeat { .. }) {
                return Err(self.error("invalid nested repetition operator"));
            }
            if matches!(atom, Node::Empty) {
                return Err(self.error("missing argument to repetition operator"));
            }
            if max.is_some_and(|m| m < min) || min > 1000 || max.is_some_and(|m| m > 1000) {
                return Err(self.error("invalid repeat count"));
            }
            // Lazy quantifiers match the same strings when the whole input must match.
            if self.peek() == Some('?') {
                self.pos += 1;
            }
            atom = Node::Repeat {
                node: Box::new(atom),
                min,
                max,
            };
        }
    }

    /// `{n}`, `{n,}`, `{n,m}`; `None` (and no input consumed) when not a valid counter, in
    /// which case RE2 treats `{` as a literal.
    fn parse_braces(&mut self) -> Option<(u32, Option<u32>)> {
        let start = self.pos;
        let rest: String = self.chars[self.pos..].iter().collect();
        let close = rest.find('}')?;
        let inner = &rest[1..close];
        let (a, b) = match inner.split_once(',') {
            Some((a, b)) => (a, Some(b)),
            None => (inner, None),
        };
        let min: u32 = a.parse().ok().filter(|_| !a.is_empty())?;
        let max = match b {
            None => Some(min),
            Some("") => None,
            Some(b) => Some(b.parse().ok()?),
        };
        self.pos = start + inner.chars().count() + 2;
        Some((min, max))
    }

    fn parse_atom(&mut self) -> Result<Node, RegexError> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.pos += 1;
        match c {
            '(' => {
                if self.peek() == Some('?') {
                    // Only non-capturing groups (and their flag-less form) are supported.
                    if self.chars.get(self.pos + 1) == Some(&':') {
                        self.pos += 2;
                    } else {
                        return Err(self.error("invalid or unsupported Perl syntax"));
                    }
                }
                let inner = self.parse_alt()?;
                if self.peek() != Some(')') {
                    return Err(self.error("missing closing )"));
                }
                self.pos += 1;
                // A group is an atom of its own: `(a*)*` is not a nested repetition.
                Ok(Node::Concat(vec![inner]))
            }
            ')' => Err(self.error("unexpected )")),
            '*' | '+' | '?' => Err(self.error("missing argument to repetition operator")),
            '.' => Ok(Node::AnyNotNl),
            '^' => Ok(Node::Start),
            '$' => Ok(Node::End),
            '[' => self.parse_class(),
            '\\' => self
                .parse_escape(false)
                .map(|(ranges, negated)| Node::Class { ranges, negated }),
            other => Ok(Node::Class {
                ranges: vec![(other, other)],
                negated: false,
            }),
        }
    }

    /// After a backslash: a class escape or an escaped literal.
    fn parse_escape(&mut self, in_class: bool) -> Result<(Vec<(char, char)>, bool), RegexError> {
        let Some(c) = self.peek() else {
            return Err(self.error("trailing backslash at end of expression"));
        };
        self.pos += 1;
        let digit = vec![('0', '9')];
        let word = vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
        let space = vec![('\t', '\n'), ('\x0c', '\r'), (' ', ' ')];
        Ok(match c {
            'd' => (digit, false),
            'D' => (digit, true),
            'w' => (word, false),
            'W' => (word, true),
            's' => (space, false),
            'S' => (space, true),
            'n' => (vec![('\n', '\n')], false),
            't' => (vec![('\t', '\t')], false),
            'r' => (vec![('\r', '\r')], false),
            c if c.is_ascii_punctuation() => (vec![(c, c)], false),
            _ if in_class => return Err(self.error("invalid escape sequence")),
            _ => return Err(self.error("invalid escape sequence")),
        })
    }

    fn parse_class(&mut self) -> Result<Node, RegexError> {
        let mut negated = false;
        if self.peek() == Some('^') {
            negated = true;
            self.pos += 1;
        }
        let mut ranges: Vec<(char, char)> = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("missing closing ]"));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            self.pos += 1;
            let lo = if c == '\\' {
                let (rs, neg) = self.parse_escape(true)?;
                if neg || rs.len() != 1 || rs[0].0 != rs[0].1 {
                    if neg {
                        ranges.extend(complement(&rs));
                    } else {
                        ranges.extend(rs);
                    }
                    continue;
                }
                rs[0].0
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') {
                self.pos += 1;
                let Some(mut hi) = self.peek() else {
                    return Err(self.error("missing closing ]"));
                };
                self.pos += 1;
                if hi == '\\' {
                    let (rs, _) = self.parse_escape(true)?;
                    hi = rs.first().map(|r| r.0).unwrap_or(hi);
                }
                if hi < lo {
                    return Err(self.error("invalid character class range"));
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Node::Class { ranges, negated })
    }
}

fn complement(ranges: &[(char, char)]) -> Vec<(char, char)> {
    let mut sorted = ranges.to_vec();
    sorted.sort();
    let mut out = Vec::new();
    let mut next: u32 = 0;
    for (lo, hi) in sorted {
        if (lo as u32) > next {
            if let (Some(a), Some(b)) = (char::from_u32(next), char::from_u32(lo as u32 - 1)) {
                out.push((a, b));
            }
        }
        next = next.max(hi as u32 + 1);
    }
    if let Some(a) = char::from_u32(next) {
        out.push((a, char::MAX));
    }
    out
}

struct Compiler {
    prog: Vec<Inst>,
}

impl Compiler {
    fn emit(&mut self, i: Inst) -> Result<usize, ()> {
        if self.prog.len() >= MAX_PROGRAM {
            return Err(());
        }
        self.prog.push(i);
        Ok(self.prog.len() - 1)
    }

    fn compile(&mut self, n: &Node) -> Result<(), ()> {
        match n {
            Node::Empty => {}
            Node::Class { ranges, negated } => {
                self.emit(Inst::Class {
                    ranges: ranges.clone(),
                    negated: *negated,
                })?;
            }
            Node::AnyNotNl => {
                self.emit(Inst::AnyNotNl)?;
            }
            Node::Start => {
                self.emit(Inst::Start)?;
            }
            Node::End => {
                self.emit(Inst::End)?;
            }
            Node::Concat(items) => {
                for i in items {
                    self.compile(i)?;
                }
            }
            Node::Alt(alts) => {
                let mut jumps = Vec::new();
                for (k, a) in alts.iter().enumerate() {
                    if k + 1 < alts.len() {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(a)?;
                        jumps.push(self.emit(Inst::Jmp(0))?);
                        let next = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, next);
                    } else {
                        self.compile(a)?;
                    }
                }
                let end = self.prog.len();
                for j in jumps {
                    self.prog[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat { node, min, max } => {
                for _ in 0..*min {
                    self.compile(node)?;
                }
                match max {
                    None => {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(node)?;
                        self.emit(Inst::Jmp(split))?;
                        let end = self.prog.len();
                        self.prog[split] = Inst::Split(split + 1, end);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.emit(Inst::Split(0, 0))?);
                            self.compile(node)?;
                        }
                        let end = self.prog.len();
                        for s in splits {
                            self.prog[s] = Inst::Split(s + 1, end);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl Regex {
    /// Compiles `pattern` anchored at both ends (kustomize's `^(?:pattern)$`).
    pub fn anchored(pattern: &str) -> Result<Regex, RegexError> {
        if !pattern.contains(|c: char| "\\.+*?()|[]{}^$".contains(c)) {
            return Ok(Regex {
                prog: Vec::new(),
                literal: Some(pattern.to_string()),
            });
        }
        let mut p = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            pattern,
        };
        let node = p.parse_alt()?;
        if p.pos < p.chars.len() {
            return Err(p.error("unexpected )"));
        }
        let mut c = Compiler { prog: Vec::new() };
        c.compile(&node)
            .and_then(|_| c.emit(Inst::Match).map(|_| ()))
            .map_err(|_| p.error("expression too large"))?;
        Ok(Regex {
            prog: c.prog,
            literal: None,
        })
    }

    /// True when the whole of `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        if let Some(lit) = &self.literal {
            return lit == text;
        }
        let chars: Vec<char> = text.chars().collect();
        let n = self.prog.len();
        let mut current: Vec<usize> = Vec::new();
        let mut on: Vec<bool> = vec![false; n];
        self.add(&mut current, &mut on, 0, 0, chars.len());
        for (pos, &c) in chars.iter().enumerate() {
            let mut next: Vec<usize> = Vec::new();
            let mut next_on = vec![false; n];
            for &pc in &current {
                let ok = match &self.prog[pc] {
                    Inst::Class { ranges, negated } => {
                        ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
                    }
                    Inst::AnyNotNl => c != '\n',
                    _ => false,
                };
                if ok {
                    self.add(&mut next, &mut next_on, pc + 1, pos + 1, chars.len());
                }
            }
            if next.is_empty() {
                return false;
            }
            current = next;
            on = next_on;
        }
        let _ = on;
        current
            .iter()
            .any(|&pc| matches!(self.prog[pc], Inst::Match))
    }

    fn add(&self, list: &mut Vec<usize>, on: &mut [bool], pc: usize, pos: usize, len: usize) {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if pc >= self.prog.len() || on[pc] {
                continue;
            }
            on[pc] = true;
            match &self.prog[pc] {
                Inst::Jmp(t) => stack.push(*t),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Start => {
                    if pos == 0 {
                        stack.push(pc + 1);
                    }
                }
                Inst::End => {
                    if pos == len {
                        stack.push(pc + 1);
                    }
                }
                _ => list.push(pc),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Regex::anchored(p).expect("compiles").is_match(t)
    }

    #[test]
    fn matches_like_re2_anchored() {
        assert!(m("", ""));
        assert!(!m("", "x"));
        assert!(m("app", "app"));
        assert!(!m("app", "app2"));
        assert!(!m("app", "my-app"));
        assert!(m("app.*", "app-1"));
        assert!(m(".*-app", "x-app"));
        assert!(m("foo|bar", "bar"));
        assert!(!m("foo|bar", "foobar"));
        assert!(m("v1(beta1)?", "v1"));
        assert!(m("v1(beta1)?", "v1beta1"));
        assert!(m("(?:a|b)+c", "abbac"));
        assert!(m("[a-c]{2,3}", "abc"));
        assert!(!m("[a-c]{2,3}", "abca"));
        assert!(m("[^x]+", "abc"));
        assert!(!m("[^x]+", "axc"));
        assert!(m(r"\d+\.\d+", "10.25"));
        assert!(m("^name$", "name"));
        assert!(m("a{,2}", "a{,2}"));
        assert!(m("x*?y", "xxy"));
        assert!(m("Deployment|StatefulSet", "StatefulSet"));
        assert!(m("(a*)*b", "aab"));
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(Regex::anchored("(").is_err());
        assert!(Regex::anchored("a)").is_err());
        assert!(Regex::anchored("*a").is_err());
        assert!(Regex::anchored("[a").is_err());
        assert!(Regex::anchored("a**").is_err());
    }
}
