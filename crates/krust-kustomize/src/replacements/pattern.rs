//! A small regular-expression engine for the patterns kustomize compiles with Go's `regexp`
//! (RE2 syntax): selector fields of replacement targets and `[field=value]` list matches.
//!
//! The crate has no regex dependency yet, so this module implements the commonly used subset —
//! literals, `.`, classes (`[a-z]`, `[^…]`, `\d`, `\w`, `\s`), groups (`(…)`, `(?:…)`),
//! alternation, the quantifiers `* + ? {n} {n,} {n,m}` (lazy forms accepted) and the anchors
//! `^ $` — and matches with a Thompson-NFA simulation, so matching time is linear in the input
//! for a given pattern (no backtracking blow-up on input-derived patterns).
//!
//! TODO: switch to the `regex` crate (also RE2 syntax) once the crate depends on it for patch
//! target selectors.

use std::fmt;

/// Largest repetition count accepted in `{n,m}` (Go's limit is 1000).
const MAX_REPEAT: u32 = 1000;
/// Upper bound on compiled program size, guarding against pathological nested repetitions.
const MAX_PROGRAM: usize = 100_000;

/// A pattern that could not be compiled, with Go's wording where it matters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error parsing regexp: {message}: `{pattern}`")]
pub struct PatternError {
    /// What is wrong.
    pub message: String,
    /// The offending pattern.
    pub pattern: String,
}

/// A compiled pattern.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    program: Vec<Inst>,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Empty,
    Char(char),
    Any,
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    Begin,
    End,
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

#[derive(Debug, Clone)]
enum Inst {
    Char(char),
    Any,
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    Begin,
    End,
    Split(usize, usize),
    Jump(usize),
    Match,
}

impl Pattern {
    /// Compiles `pattern` (RE2 syntax subset).
    pub fn new(pattern: &str) -> Result<Pattern, PatternError> {
        let mut parser = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            pattern,
        };
        let node = parser.alternation()?;
        if parser.pos < parser.chars.len() {
            return Err(parser.error("unexpected )"));
        }
        let mut program = Vec::new();
        compile(&node, &mut program, pattern)?;
        program.push(Inst::Match);
        Ok(Pattern {
            source: pattern.to_string(),
            program,
        })
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern matches anywhere in `text` (Go's `MatchString`).
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let n = self.program.len();
        let mut current: Vec<usize> = Vec::with_capacity(n);
        let mut next: Vec<usize> = Vec::with_capacity(n);
        let mut seen = vec![usize::MAX; n];
        let mut generation = 0usize;
        for pos in 0..=chars.len() {
            // Start a new thread at every position: the pattern is unanchored.
            if self.add(&mut current, &mut seen, generation, 0, pos, chars.len()) {
                return true;
            }
            if pos == chars.len() {
                break;
            }
            let c = chars[pos];
            generation += 1;
            next.clear();
            for &pc in &current {
                let advance = match &self.program[pc] {
                    Inst::Char(x) => *x == c,
                    Inst::Any => c != '\n',
                    Inst::Class { ranges, negated } => class_matches(ranges, *negated, c),
                    _ => false,
                };
                if advance
                    && self.add(
                        &mut next,
                        &mut seen,
                        generation,
                        pc + 1,
                        pos + 1,
                        chars.len(),
                    )
                {
                    return true;
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        false
    }

    /// Adds the thread at `pc` and its epsilon closure; returns true when `Match` is reached.
    fn add(
        &self,
        list: &mut Vec<usize>,
        seen: &mut [usize],
        generation: usize,
        pc: usize,
        pos: usize,
        len: usize,
    ) -> bool {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if seen[pc] == generation {
                continue;
            }
            seen[pc] = generation;
            match &self.program[pc] {
                Inst::Match => return true,
                Inst::Jump(t) => stack.push(*t),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Begin => {
                    if pos == 0 {
                        stack.push(pc + 1);
                    }
                }
                Inst::End => {
                    if pos == len {
                        stack.push(pc + 1);
                    }
                }
                Inst::Char(_) | Inst::Any | Inst::Class { .. } => list.push(pc),
            }
        }
        false
    }
}

fn class_matches(ranges: &[(char, char)], negated: bool, c: char) -> bool {
    let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
    inside != negated
}

fn compile(node: &Node, prog: &mut Vec<Inst>, pattern: &str) -> Result<(), PatternError> {
    if prog.len() > MAX_PROGRAM {
        return Err(PatternError {
            message: "expression too large".into(),
            pattern: pattern.into(),
        });
    }
    match node {
        Node::Empty => {}
        Node::Char(c) => prog.push(Inst::Char(*c)),
        Node::Any => prog.push(Inst::Any),
        Node::Class { ranges, negated } => prog.push(Inst::Class {
            ranges: ranges.clone(),
            negated: *negated,
        }),
        Node::Begin => prog.push(Inst::Begin),
        Node::End => prog.push(Inst::End),
        Node::Concat(items) => {
            for item in items {
                compile(item, prog, pattern)?;
            }
        }
        Node::Alternate(items) => {
            let mut jumps = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if i + 1 < items.len() {
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    compile(item, prog, pattern)?;
                    jumps.push(prog.len());
                    prog.push(Inst::Jump(0));
                    let after = prog.len();
                    prog[split] = Inst::Split(split + 1, after);
                } else {
                    compile(item, prog, pattern)?;
                }
            }
            let end = prog.len();
            for j in jumps {
                prog[j] = Inst::Jump(end);
            }
        }
        Node::Repeat { node, min, max } => {
            for _ in 0..*min {
                compile(node, prog, pattern)?;
            }
            match max {
                None => {
                    // x*: L1: split L2, L3; L2: x; jump L1; L3:
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    compile(node, prog, pattern)?;
                    prog.push(Inst::Jump(split));
                    let after = prog.len();
                    prog[split] = Inst::Split(split + 1, after);
                }
                Some(max) => {
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(prog.len());
                        prog.push(Inst::Split(prog.len() + 1, 0));
                        compile(node, prog, pattern)?;
                    }
                    let end = prog.len();
                    for s in splits {
                        prog[s] = Inst::Split(s + 1, end);
                    }
                }
            }
        }
    }
    Ok(())
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    pattern: &'a str,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> PatternError {
        PatternError {
            message: message.to_string(),
            pattern: self.pattern.to_string(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn alternation(&mut self) -> Result<Node, PatternError> {
        let mut branches = vec![self.concat()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alternate(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, PatternError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            let atom = self.quantifiers(atom)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    fn quantifiers(&mut self, mut atom: Node) -> Result<Node, PatternError> {
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
                Some('{') => match self.counted()? {
                    Some(bounds) => bounds,
                    None => return Ok(atom),
                },
                _ => return Ok(atom),
            };
            if matches!(atom, Node::Repeat { .. }) {
                return Err(self.error("invalid nested repetition operator"));
            }
            if matches!(atom, Node::Empty | Node::Begin | Node::End) && self.pos == 1 {
                return Err(self.error("missing argument to repetition operator"));
            }
            // A trailing `?` makes the quantifier lazy; irrelevant for a yes/no match.
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

    /// Parses `{n}`, `{n,}` or `{n,m}`; returns `None` (consuming nothing) when the brace is a
    /// literal, as in Go.
    fn counted(&mut self) -> Result<Option<(u32, Option<u32>)>, PatternError> {
        let start = self.pos;
        let rest: String = self.chars[start..].iter().collect();
        let Some(close) = rest.find('}') else {
            return Ok(None);
        };
        let body = &rest[1..close];
        let parse = |s: &str| -> Option<u32> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                s.parse().ok()
            }
        };
        let bounds = match body.split_once(',') {
            None => parse(body).map(|n| (n, Some(n))),
            Some((a, "")) => parse(a).map(|n| (n, None)),
            Some((a, b)) => match (parse(a), parse(b)) {
                (Some(a), Some(b)) => Some((a, Some(b))),
                _ => None,
            },
        };
        let Some((min, max)) = bounds else {
            return Ok(None);
        };
        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || m < min) {
            return Err(self.error("invalid repeat count"));
        }
        self.pos = start + body.chars().count() + 2;
        Ok(Some((min, max)))
    }

    fn atom(&mut self) -> Result<Node, PatternError> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.pos += 1;
        match c {
            '.' => Ok(Node::Any),
            '^' => Ok(Node::Begin),
            '$' => Ok(Node::End),
            '*' | '+' | '?' => Err(self.error("missing argument to repetition operator")),
            '(' => {
                if self.peek() == Some('?') {
                    // Only the non-capturing form `(?:` is supported.
                    if self.chars.get(self.pos + 1) == Some(&':') {
                        self.pos += 2;
                    } else {
                        return Err(self.error("unsupported group flags"));
                    }
                }
                let inner = self.alternation()?;
                if self.peek() != Some(')') {
                    return Err(self.error("missing closing )"));
                }
                self.pos += 1;
                // Wrapped so that `(a*)*` is not mistaken for the invalid `a**`.
                Ok(Node::Concat(vec![inner]))
            }
            '[' => self.class(),
            '\\' => self.escape(false).map(|ranges| match ranges {
                Escape::Char(c) => Node::Char(c),
                Escape::Class(ranges, negated) => Node::Class { ranges, negated },
            }),
            c => Ok(Node::Char(c)),
        }
    }

    fn escape(&mut self, in_class: bool) -> Result<Escape, PatternError> {
        let Some(c) = self.peek() else {
            return Err(self.error("trailing backslash at end of expression"));
        };
        self.pos += 1;
        let digits = vec![('0', '9')];
        let word = vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
        let space = vec![('\t', '\n'), ('\x0c', '\r'), (' ', ' ')];
        Ok(match c {
            'd' => Escape::Class(digits, false),
            'D' => Escape::Class(digits, true),
            'w' => Escape::Class(word, false),
            'W' => Escape::Class(word, true),
            's' => Escape::Class(space, false),
            'S' => Escape::Class(space, true),
            'n' => Escape::Char('\n'),
            't' => Escape::Char('\t'),
            'r' => Escape::Char('\r'),
            'f' => Escape::Char('\x0c'),
            'v' => Escape::Char('\x0b'),
            c if c.is_ascii_punctuation() => Escape::Char(c),
            _ if in_class => return Err(self.error("invalid escape sequence")),
            _ => return Err(self.error("invalid escape sequence")),
        })
    }

    fn class(&mut self) -> Result<Node, PatternError> {
        let mut negated = false;
        if self.peek() == Some('^') {
            negated = true;
            self.pos += 1;
        }
        let mut ranges = Vec::new();
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
                match self.escape(true)? {
                    Escape::Char(c) => c,
                    Escape::Class(r, false) => {
                        ranges.extend(r);
                        continue;
                    }
                    Escape::Class(r, true) => {
                        ranges.extend(complement(&r));
                        continue;
                    }
                }
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
                    match self.escape(true)? {
                        Escape::Char(c) => hi = c,
                        Escape::Class(..) => {
                            return Err(self.error("invalid character class range"))
                        }
                    }
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

enum Escape {
    Char(char),
    Class(Vec<(char, char)>, bool),
}

/// The complement of a sorted list of ranges, over all chars.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::new(p).expect("pattern compiles").is_match(t)
    }

    #[test]
    fn literals_and_unanchored() {
        assert!(m("nginx", "nginx"));
        assert!(m("nginx", "my-nginx-1"));
        assert!(!m("nginx", "ngin"));
        assert!(m("", "anything"));
    }

    #[test]
    fn anchors_alternation_groups() {
        assert!(m("^(?:Deployment|ConfigMap|postgresql)$", "ConfigMap"));
        assert!(!m("^(?:Deployment|ConfigMap)$", "ConfigMaps"));
        assert!(m("^(?:.*Set)$", "StatefulSet"));
        assert!(!m("^(?:.*Set)$", "Deployment"));
        assert!(m("^(?:c.1)$", "cm1"));
        assert!(m("^(?:.*original.*)$", "pre-original-name-dev"));
        assert!(m("^(a|b)+$", "abba"));
    }

    #[test]
    fn classes_and_counts() {
        assert!(m("^[a-z]+-[0-9]{2,3}$", "app-12"));
        assert!(!m("^[a-z]+-[0-9]{2,3}$", "app-1"));
        assert!(m(r"^\d+\.\d+$", "1.25"));
        assert!(m("^[^.]+$", "abc"));
        assert!(!m("^[^.]+$", "a.c"));
        assert!(m("a{,2}", "a{,2}"));
    }

    #[test]
    fn errors() {
        assert!(Pattern::new("(").is_err());
        assert!(Pattern::new("[a").is_err());
        assert!(Pattern::new("*a").is_err());
        assert!(Pattern::new("a**").is_err());
        assert!(Pattern::new("a{2000}").is_err());
    }

    #[test]
    fn no_blowup() {
        let p = Pattern::new("^(a*)*b$").expect("compiles");
        assert!(!p.is_match(&"a".repeat(5000)));
    }
}
