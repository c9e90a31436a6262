//! Flux's `envsubst` dialect: `${var}` expansion with bash-style string functions.
//!
//! kustomize-controller runs this over the YAML text of every rendered object (`postBuild`). The
//! dialect is the one of `github.com/fluxcd/pkg/envsubst` (a fork of drone/envsubst), including its
//! quirks, which this module reproduces on purpose:
//!
//! - `$$` anywhere in plain text is an escape that yields a single `$`, so `$${VAR}` prints
//!   `${VAR}` literally and `$$$` prints `$$`;
//! - a `$` that does not start `${` is copied as is (`$VAR` is *not* expanded);
//! - supported forms: `${v}`, `${#v}`, `${v^}`, `${v^^}`, `${v,}`, `${v,,}`, `${v:n}`, `${v:n:len}`,
//!   `${v#pat}`, `${v##pat}`, `${v%pat}`, `${v%%pat}`, `${v=def}`, `${v:=def}`, `${v:-def}`,
//!   `${v/pat/rep}`, `${v//pat/rep}`, `${v/#pat/rep}`, `${v/%pat/rep}`; defaults may nest `${..}`;
//! - every default form (`=`, `:=`, `:-`) replaces a value that is unset *or empty*;
//! - `${v-def}` is rejected with "missing closing brace" (the fork's parser has no `-` form even
//!   though its README lists one);
//! - lengths and offsets count bytes, not characters.
//!
//! In strict mode ([`Lookup`] returning `None`) a variable that is referenced without a default
//! operator is an error: `variable not set (strict mode): "NAME"`.

use std::fmt;

/// Maximum nesting of `${...}` inside function arguments (protects the stack).
const MAX_NESTING: usize = 200;

/// A parse or evaluation error, with the fork's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvsubstError {
    /// Malformed `${...}` expression.
    #[error("bad substitution")]
    BadSubstitution,
    /// `${` without its closing `}`.
    #[error("missing closing brace")]
    MissingClosingBrace,
    /// `${` not followed by a variable name.
    #[error("unable to parse variable name")]
    VariableName,
    /// An argument of a function could not be parsed.
    #[error("unable to parse substitution within function")]
    FuncSubstitution,
    /// A malformed default (`${v:=...}`) expression.
    #[error("unable to parse default function")]
    DefaultFunction,
    /// Expressions nested deeper than krust accepts.
    #[error("substitution expressions nested more than {MAX_NESTING} levels deep")]
    TooDeep,
    /// Strict mode: a variable without a default is not defined.
    #[error("variable not set (strict mode): {0:?}")]
    VariableNotSet(String),
}

/// Parsed template node.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Func {
        param: String,
        name: String,
        args: Vec<Node>,
    },
    List(Vec<Node>),
}

const EOF: char = '\0';

// Scanner modes.
const SCAN_IDENT: u8 = 1;
const SCAN_LBRACK: u8 = 2;
const SCAN_RBRACK: u8 = 4;
const SCAN_ESCAPE: u8 = 8;
// Escape character sets.
const ESC_DOLLAR: u8 = 1;
const ESC_BACKSLASH: u8 = 2;
const ESC_ALL: u8 = ESC_DOLLAR | ESC_BACKSLASH;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Illegal,
    Eof,
    Ident,
    Lbrack,
    Rbrack,
}

#[derive(Clone, Copy)]
enum Accept {
    Rune,
    Ident,
    Colon,
    OneHash,
    NotClosing,
    HashFunc,
    PercentFunc,
    DefaultFunc,
    ReplaceFunc,
    OneEqual,
    OneColon,
    RejectColonClose,
    Slash,
    NotSlash,
    CasingFunc,
}

impl Accept {
    /// `i` is the byte offset (after reading `r`) from the token start, as in the fork.
    fn accepts(self, r: char, i: usize) -> bool {
        match self {
            Accept::Rune => true,
            Accept::Ident => r.is_alphabetic() || r.is_numeric() || r == '_',
            Accept::Colon => r == ':',
            Accept::OneHash => r == '#' && i == 1,
            Accept::NotClosing => r != '}',
            Accept::HashFunc => r == '#' && i < 3,
            Accept::PercentFunc => r == '%' && i < 3,
            Accept::DefaultFunc => {
                (i == 1 && r == ':') || (i == 2 && matches!(r, '=' | '-' | '?' | '+'))
            }
            Accept::ReplaceFunc => (i == 1 && r == '/') || (i == 2 && matches!(r, '/' | '#' | '%')),
            Accept::OneEqual => i == 1 && r == '=',
            Accept::OneColon => i == 1 && r == ':',
            Accept::RejectColonClose => r != ':' && r != '}',
            Accept::Slash => r == '/',
            Accept::NotSlash => r != '/',
            Accept::CasingFunc => (r == ',' || r == '^') && i < 3,
        }
    }
}

/// The fork's scanner. Escapes remove a character from the token text; instead of editing the
/// buffer (quadratic), removed byte positions are remembered per token.
struct Scanner<'a> {
    buf: &'a str,
    pos: usize,
    start: usize,
    width: usize,
    mode: u8,
    escape_chars: u8,
    accept: Accept,
    removed: Vec<usize>,
}

impl<'a> Scanner<'a> {
    fn new(buf: &'a str) -> Self {
        Scanner {
            buf,
            pos: 0,
            start: 0,
            width: 0,
            mode: 0,
            escape_chars: 0,
            accept: Accept::Rune,
            removed: Vec::new(),
        }
    }

    fn read(&mut self) -> char {
        match self.buf[self.pos..].chars().next() {
            None => {
                self.width = 0;
                EOF
            }
            Some(c) => {
                self.width = c.len_utf8();
                self.pos += self.width;
                c
            }
        }
    }

    fn unread(&mut self) {
        self.pos -= self.width;
    }

    /// Drops the character just read (an escape) and consumes the escaped character unchecked.
    fn skip(&mut self) {
        self.removed.push(self.pos - 1);
        // The escaped character is `$`, `/` or `\`: one byte.
        self.pos += 1;
    }

    fn peek(&mut self) -> char {
        let r = self.read();
        self.unread();
        r
    }

    fn text(&self) -> String {
        if self.removed.is_empty() {
            return self.buf[self.start..self.pos].to_string();
        }
        let bytes = &self.buf.as_bytes()[self.start..self.pos];
        let mut out = Vec::with_capacity(bytes.len());
        let mut removed = self.removed.iter().peekable();
        for (i, b) in bytes.iter().enumerate() {
            if removed.peek() == Some(&&(self.start + i)) {
                removed.next();
                continue;
            }
            out.push(*b);
        }
        // Only ASCII bytes are removed, so the rest stays valid UTF-8.
        String::from_utf8_lossy(&out).into_owned()
    }

    fn scan(&mut self) -> Token {
        self.start = self.pos;
        self.removed.clear();
        let r = self.read();
        if r == EOF {
            return Token::Eof;
        }
        if self.scan_lbrack(r) {
            return Token::Lbrack;
        }
        if self.scan_rbrack(r) {
            return Token::Rbrack;
        }
        if self.scan_ident(r) {
            return Token::Ident;
        }
        Token::Illegal
    }

    fn scan_ident(&mut self, r: char) -> bool {
        if self.mode & SCAN_IDENT == 0 {
            return false;
        }
        if self.scan_escaped(r) {
            self.skip();
        } else if !self.accept.accepts(r, self.pos - self.start) {
            return false;
        }
        loop {
            let r = self.read();
            if r == EOF {
                self.unread();
                break;
            }
            if self.scan_lbrack(r) {
                self.unread();
                self.unread();
                break;
            }
            if self.scan_escaped(r) {
                self.skip();
                continue;
            }
            if !self.accept.accepts(r, self.pos - self.start) {
                self.unread();
                break;
            }
        }
        true
    }

    fn scan_lbrack(&mut self, r: char) -> bool {
        if self.mode & SCAN_LBRACK == 0 {
            return false;
        }
        if r == '$' {
            if self.read() == '{' {
                return true;
            }
            self.unread();
        }
        false
    }

    fn scan_rbrack(&self, r: char) -> bool {
        self.mode & SCAN_RBRACK != 0 && r == '}'
    }

    fn scan_escaped(&mut self, r: char) -> bool {
        if self.mode & SCAN_ESCAPE == 0 {
            return false;
        }
        if r == '$' && self.escape_chars & ESC_DOLLAR != 0 && self.peek() == '$' {
            return true;
        }
        if r == '\\' && self.escape_chars & ESC_BACKSLASH != 0 {
            return matches!(self.peek(), '/' | '\\');
        }
        false
    }
}

struct Parser<'a> {
    s: Scanner<'a>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn parse_any(&mut self) -> Result<Node, EnvsubstError> {
        let mut nodes = Vec::new();
        loop {
            self.s.accept = Accept::Rune;
            self.s.mode = SCAN_IDENT | SCAN_LBRACK | SCAN_ESCAPE;
            self.s.escape_chars = ESC_DOLLAR;
            match self.s.scan() {
                Token::Ident => nodes.push(Node::Text(self.s.text())),
                Token::Eof => break,
                Token::Lbrack => {
                    let node = self.parse_func()?;
                    nodes.push(node);
                }
                _ => return Err(EnvsubstError::BadSubstitution),
            }
        }
        Ok(match nodes.len() {
            0 => Node::Text(String::new()),
            1 => nodes.pop().unwrap_or(Node::Text(String::new())),
            _ => Node::List(nodes),
        })
    }

    fn parse_func(&mut self) -> Result<Node, EnvsubstError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(EnvsubstError::TooDeep);
        }
        let result = self.parse_func_inner();
        self.depth -= 1;
        result
    }

    fn parse_func_inner(&mut self) -> Result<Node, EnvsubstError> {
        self.s.escape_chars = ESC_ALL;
        if self.s.peek() == '#' {
            return self.parse_len_func();
        }
        self.s.accept = Accept::Ident;
        self.s.mode = SCAN_IDENT;
        let name = match self.s.scan() {
            Token::Ident => self.s.text(),
            _ => return Err(EnvsubstError::VariableName),
        };
        match self.s.peek() {
            ':' => return self.parse_default_or_substr(name),
            '=' => return self.parse_default_func(name),
            ',' | '^' => return self.parse_casing_func(name),
            '/' => return self.parse_replace_func(name),
            '#' => return self.parse_remove_func(name, Accept::HashFunc),
            '%' => return self.parse_remove_func(name, Accept::PercentFunc),
            _ => {}
        }
        self.s.accept = Accept::Ident;
        self.s.mode = SCAN_RBRACK;
        match self.s.scan() {
            Token::Rbrack => Ok(Node::Func {
                param: name,
                name: String::new(),
                args: Vec::new(),
            }),
            _ => Err(EnvsubstError::MissingClosingBrace),
        }
    }

    fn parse_param(&mut self, accept: Accept, mode: u8) -> Result<Node, EnvsubstError> {
        self.s.accept = accept;
        self.s.mode = mode | SCAN_LBRACK;
        match self.s.scan() {
            Token::Lbrack => self.parse_func(),
            Token::Ident | Token::Rbrack => Ok(Node::Text(self.s.text())),
            _ => Err(EnvsubstError::FuncSubstitution),
        }
    }

    fn parse_default_or_substr(&mut self, name: String) -> Result<Node, EnvsubstError> {
        self.s.read();
        let r = self.s.peek();
        self.s.unread();
        match r {
            '=' | '-' | '?' | '+' => self.parse_default_func(name),
            _ => self.parse_substr_func(name),
        }
    }

    fn operator(&mut self, accept: Accept, err: EnvsubstError) -> Result<String, EnvsubstError> {
        self.s.accept = accept;
        self.s.mode = SCAN_IDENT;
        match self.s.scan() {
            Token::Ident => Ok(self.s.text()),
            _ => Err(err),
        }
    }

    fn parse_substr_func(&mut self, param: String) -> Result<Node, EnvsubstError> {
        let name = self.operator(Accept::OneColon, EnvsubstError::BadSubstitution)?;
        let mut args = vec![self.parse_param(Accept::RejectColonClose, SCAN_IDENT)?];
        self.s.accept = Accept::Colon;
        self.s.mode = SCAN_IDENT | SCAN_RBRACK;
        match self.s.scan() {
            Token::Rbrack => return Ok(Node::Func { param, name, args }),
            Token::Ident => {}
            _ => return Err(EnvsubstError::BadSubstitution),
        }
        args.push(self.parse_param(Accept::NotClosing, SCAN_IDENT)?);
        self.consume_rbrack()?;
        Ok(Node::Func { param, name, args })
    }

    fn parse_remove_func(&mut self, param: String, accept: Accept) -> Result<Node, EnvsubstError> {
        let name = self.operator(accept, EnvsubstError::BadSubstitution)?;
        let args = vec![self.parse_param(Accept::NotClosing, SCAN_IDENT)?];
        self.consume_rbrack()?;
        Ok(Node::Func { param, name, args })
    }

    fn parse_replace_func(&mut self, param: String) -> Result<Node, EnvsubstError> {
        let name = self.operator(Accept::ReplaceFunc, EnvsubstError::BadSubstitution)?;
        let mut args = vec![self.parse_param(Accept::NotSlash, SCAN_IDENT | SCAN_ESCAPE)?];
        self.s.accept = Accept::Slash;
        self.s.mode = SCAN_IDENT;
        if self.s.scan() != Token::Ident {
            return Err(EnvsubstError::BadSubstitution);
        }
        if self.s.peek() == '}' {
            self.consume_rbrack()?;
            return Ok(Node::Func { param, name, args });
        }
        args.push(self.parse_param(Accept::NotClosing, SCAN_IDENT | SCAN_ESCAPE)?);
        self.consume_rbrack()?;
        Ok(Node::Func { param, name, args })
    }

    fn parse_default_func(&mut self, param: String) -> Result<Node, EnvsubstError> {
        let accept = if self.s.peek() == '=' {
            Accept::OneEqual
        } else {
            Accept::DefaultFunc
        };
        let name = self.operator(accept, EnvsubstError::DefaultFunction)?;
        let mut args = Vec::new();
        loop {
            if self.s.peek() == '}' {
                self.consume_rbrack()?;
                return Ok(Node::Func { param, name, args });
            }
            args.push(self.parse_param(Accept::NotClosing, SCAN_IDENT)?);
        }
    }

    fn parse_casing_func(&mut self, param: String) -> Result<Node, EnvsubstError> {
        let name = self.operator(Accept::CasingFunc, EnvsubstError::BadSubstitution)?;
        self.consume_rbrack()?;
        Ok(Node::Func {
            param,
            name,
            args: Vec::new(),
        })
    }

    fn parse_len_func(&mut self) -> Result<Node, EnvsubstError> {
        let name = self.operator(Accept::OneHash, EnvsubstError::BadSubstitution)?;
        let param = self.operator(Accept::Ident, EnvsubstError::BadSubstitution)?;
        self.consume_rbrack()?;
        Ok(Node::Func {
            param,
            name,
            args: Vec::new(),
        })
    }

    fn consume_rbrack(&mut self) -> Result<(), EnvsubstError> {
        self.s.mode = SCAN_RBRACK;
        if self.s.scan() != Token::Rbrack {
            return Err(EnvsubstError::BadSubstitution);
        }
        Ok(())
    }
}

/// A parsed template, reusable for several evaluations.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    root: Node,
}

impl Template {
    /// Parses `text` in Flux's dialect.
    pub fn parse(text: &str) -> Result<Template, EnvsubstError> {
        let mut parser = Parser {
            s: Scanner::new(text),
            depth: 0,
        };
        Ok(Template {
            root: parser.parse_any()?,
        })
    }

    /// Expands the template. `lookup` returns `None` for an undefined variable; with a lenient
    /// lookup (every name defined, unset ones as `""`) strict-mode errors never happen.
    pub fn execute(&self, lookup: &dyn Lookup) -> Result<String, EnvsubstError> {
        let mut out = String::new();
        eval_node(&self.root, lookup, &mut out)?;
        Ok(out)
    }
}

/// How variables are looked up during evaluation.
pub trait Lookup {
    /// The value of `name`, or `None` when it is not defined.
    fn lookup(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn lookup(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// Parses and expands `text` in one step.
pub fn eval(text: &str, lookup: &dyn Lookup) -> Result<String, EnvsubstError> {
    Template::parse(text)?.execute(lookup)
}

fn eval_node(node: &Node, lookup: &dyn Lookup, out: &mut String) -> Result<(), EnvsubstError> {
    match node {
        Node::Text(t) => out.push_str(t),
        Node::List(nodes) => {
            for n in nodes {
                eval_node(n, lookup, out)?;
            }
        }
        Node::Func { param, name, args } => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                let mut buf = String::new();
                eval_node(a, lookup, &mut buf)?;
                values.push(buf);
            }
            let (value, exists) = match lookup.lookup(param) {
                Some(v) => (v, true),
                None => (String::new(), false),
            };
            if !exists && !is_default_op(name) {
                return Err(EnvsubstError::VariableNotSet(param.clone()));
            }
            out.push_str(&apply(name, &value, &values));
        }
    }
    Ok(())
}

fn is_default_op(name: &str) -> bool {
    matches!(name, "-" | "+" | "=" | "?" | ":-" | ":+" | ":=" | ":?")
}

fn apply(name: &str, s: &str, args: &[String]) -> String {
    match name {
        "," => first_char_mapped(s, |c| c.to_lowercase().collect()),
        ",," => s.to_lowercase(),
        "^" => first_char_mapped(s, |c| c.to_uppercase().collect()),
        "^^" => s.to_uppercase(),
        "#" if args.is_empty() => s.len().to_string(),
        "#" => trim_shortest_prefix(s, &args[0]),
        "##" => args.first().map_or(s.to_string(), |a| trim_longest(s, a)),
        "%" => args
            .first()
            .map_or(s.to_string(), |a| trim_shortest_suffix(s, a)),
        "%%" => args
            .first()
            .map_or(s.to_string(), |a| trim_longest_suffix(s, a)),
        ":" => substr(s, args),
        "/#" => match args {
            [pat, rep] if s.starts_with(pat.as_str()) => s.replacen(pat.as_str(), rep, 1),
            _ => s.to_string(),
        },
        "/%" => match args {
            [pat, rep] if s.ends_with(pat.as_str()) => {
                format!("{}{}", &s[..s.len() - pat.len()], rep)
            }
            _ => s.to_string(),
        },
        "/" => match args {
            [] => s.to_string(),
            [pat] => go_replace(s, pat, "", Some(1)),
            [pat, rep, ..] => go_replace(s, pat, rep, Some(1)),
        },
        "//" => match args {
            [] => s.to_string(),
            [pat] => go_replace(s, pat, "", None),
            [pat, rep, ..] => go_replace(s, pat, rep, None),
        },
        // Every default operator, and the plain `${var}`.
        _ => {
            if s.is_empty() && !args.is_empty() {
                args.concat()
            } else {
                s.to_string()
            }
        }
    }
}

fn first_char_mapped(s: &str, f: impl Fn(char) -> String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        None => String::new(),
        Some(c) => {
            let mut out = f(c);
            out.push_str(chars.as_str());
            out
        }
    }
}

/// Go's `strings.Replace`: an empty pattern inserts `rep` before every character (and at the end).
fn go_replace(s: &str, pat: &str, rep: &str, n: Option<usize>) -> String {
    if pat.is_empty() {
        let limit = n.unwrap_or(usize::MAX);
        let mut out = String::with_capacity(s.len());
        let mut done = 0;
        for c in s.chars() {
            if done < limit {
                out.push_str(rep);
                done += 1;
            }
            out.push(c);
        }
        if done < limit {
            out.push_str(rep);
        }
        return out;
    }
    match n {
        Some(n) => s.replacen(pat, rep, n),
        None => s.replace(pat, rep),
    }
}

/// `${v:pos}` / `${v:pos:len}` on bytes, with bash's leniency for unparsable numbers.
fn substr(s: &str, args: &[String]) -> String {
    let Some(first) = args.first() else {
        return s.to_string();
    };
    let Some(mut pos) = go_atoi(first) else {
        return s.to_string();
    };
    let len = s.len() as i64;
    if pos < 0 {
        pos = (len + pos).max(0);
    }
    let bytes = s.as_bytes();
    let slice = |from: i64, to: i64| String::from_utf8_lossy(&bytes[from as usize..to as usize]);
    if args.len() == 1 {
        return if pos < len {
            slice(pos, len).into_owned()
        } else {
            String::new()
        };
    }
    let Some(length) = go_atoi(&args[1]) else {
        return s.to_string();
    };
    if pos.saturating_add(length) >= len {
        return if pos < len {
            slice(pos, len).into_owned()
        } else {
            String::new()
        };
    }
    if length < 0 {
        // Go would panic on a reversed slice; treat as empty.
        return String::new();
    }
    slice(pos, pos + length).into_owned()
}

/// `strconv.Atoi`: optional sign, decimal digits only.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn trim_shortest_prefix(s: &str, pat: &str) -> String {
    trim_shortest(s, pat)
}

fn trim_shortest_suffix(s: &str, pat: &str) -> String {
    reverse(&trim_shortest(&reverse(s), &reverse(pat)))
}

fn trim_longest_suffix(s: &str, pat: &str) -> String {
    reverse(&trim_longest(&reverse(s), &reverse(pat)))
}

fn reverse(s: &str) -> String {
    s.chars().rev().collect()
}

/// Candidate prefix ends, longest first, never the empty prefix (as the fork loops).
fn prefix_ends(s: &str) -> impl Iterator<Item = usize> + '_ {
    let n = s.len();
    (0..n)
        .map(move |i| n - i)
        .filter(move |&e| s.is_char_boundary(e))
}

fn trim_shortest(s: &str, pat: &str) -> String {
    let mut shortest: Option<usize> = None;
    for end in prefix_ends(s) {
        match glob_match(pat.as_bytes(), &s.as_bytes()[..end]) {
            Err(()) => return s.to_string(),
            Ok(true) => shortest = Some(end),
            Ok(false) => {}
        }
    }
    match shortest {
        Some(end) => s[end..].to_string(),
        None => s.to_string(),
    }
}

fn trim_longest(s: &str, pat: &str) -> String {
    for end in prefix_ends(s) {
        match glob_match(pat.as_bytes(), &s.as_bytes()[..end]) {
            Err(()) => return s.to_string(),
            Ok(true) => return s[end..].to_string(),
            Ok(false) => {}
        }
    }
    s.to_string()
}

fn decode(b: &[u8]) -> (char, usize) {
    let len = match b.first() {
        None => return ('\u{FFFD}', 0),
        Some(x) if *x < 0x80 => 1,
        Some(x) if *x >= 0xF0 => 4,
        Some(x) if *x >= 0xE0 => 3,
        Some(x) if *x >= 0xC0 => 2,
        _ => 1,
    };
    match b.get(..len).and_then(|s| std::str::from_utf8(s).ok()) {
        Some(s) => (s.chars().next().unwrap_or('\u{FFFD}'), len),
        None => ('\u{FFFD}', 1),
    }
}

/// The fork's `path.Match`: shell glob where a trailing `*` matches everything (including `/`).
fn glob_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, ()> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(true);
        }
        let (t, ok, err) = match_chunk(chunk, name);
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if err {
            return Err(());
        }
        if star {
            for i in 0..name.len() {
                let (t, ok, err) = match_chunk(chunk, &name[i + 1..]);
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                if err {
                    return Err(());
                }
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while pattern.first() == Some(&b'*') {
        pattern = &pattern[1..];
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Returns (rest, ok, bad-pattern).
fn match_chunk<'n>(mut chunk: &[u8], mut s: &'n [u8]) -> (&'n [u8], bool, bool) {
    while !chunk.is_empty() {
        if s.is_empty() {
            return (s, false, false);
        }
        match chunk[0] {
            b'[' => {
                let (r, n) = decode(s);
                s = &s[n..];
                chunk = &chunk[1..];
                let mut not_negated = true;
                if chunk.first() == Some(&b'^') {
                    not_negated = false;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let Some((lo, rest)) = get_esc(chunk) else {
                        return (s, false, true);
                    };
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let Some((h, rest)) = get_esc(&chunk[1..]) else {
                            return (s, false, true);
                        };
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched != not_negated {
                    return (s, false, false);
                }
            }
            b'?' => {
                let (_, n) = decode(s);
                s = &s[n.max(1)..];
                chunk = &chunk[1..];
            }
            c => {
                let c = if c == b'\\' {
                    chunk = &chunk[1..];
                    match chunk.first() {
                        None => return (s, false, true),
                        Some(c) => *c,
                    }
                } else {
                    c
                };
                if c != s[0] {
                    return (s, false, false);
                }
                s = &s[1..];
                chunk = &chunk[1..];
            }
        }
    }
    (s, true, false)
}

fn get_esc(mut chunk: &[u8]) -> Option<(char, &[u8])> {
    match chunk.first() {
        None | Some(b'-') | Some(b']') => return None,
        Some(b'\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return None;
            }
        }
        _ => {}
    }
    let (r, n) = decode(chunk);
    if r == '\u{FFFD}' && n == 1 {
        return None;
    }
    let rest = &chunk[n..];
    if rest.is_empty() {
        return None;
    }
    Some((r, rest))
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lenient(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| Some(map.get(k).cloned().unwrap_or_default())
    }

    fn strict(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[track_caller]
    fn check(pairs: &[(&str, &str)], input: &str, want: &str) {
        assert_eq!(eval(input, &lenient(pairs)).as_deref(), Ok(want), "{input}");
    }

    #[test]
    fn functions_match_the_fork() {
        let v = [("var01", "abcdEFGH28ij")];
        check(&[], "abcdEFGH28ij", "abcdEFGH28ij");
        check(&v, "${#var01}", "12");
        check(&v, "${var01^}", "AbcdEFGH28ij");
        check(&v, "${var01^^}", "ABCDEFGH28IJ");
        check(&[("var01", "ABCDEFGH28IJ")], "${var01,}", "aBCDEFGH28IJ");
        check(&[("var01", "ABCDEFGH28IJ")], "${var01,,}", "abcdefgh28ij");
        let p = [("path_name", "/home/bozo/ideas/thoughts.for.today")];
        check(&p, "${path_name:11}", "ideas/thoughts.for.today");
        check(&p, "${path_name:11:5}", "ideas");
        check(&p, "${path_name:-5}", "/home/bozo/ideas/thoughts.for.today");
        check(&[("var", "abc")], "${var=xyz}", "abc");
        check(&[], "${var=xyz}", "xyz");
        check(
            &[("default_var", "foo")],
            "something ${var=${default_var}}",
            "something foo",
        );
        check(
            &[("default_var", "foo1")],
            "foo: ${var=${default_var}-suffix}",
            "foo: foo1-suffix",
        );
        check(
            &[("default_var", "foo1")],
            "foo: ${var=prefix${default_var}-suffix}",
            "foo: prefixfoo1-suffix",
        );
        check(&[], "${var:=xyz}", "xyz");
        check(&[("var", "")], "${var:-xyz}", "xyz");
        let z = [("stringZ", "abcABC123ABCabc")];
        check(&z, "${stringZ/%abc/XYZ}", "abcABC123ABCXYZ");
        check(&z, "${stringZ/#abc/XYZ}", "XYZABC123ABCabc");
        check(&z, "${stringZ//abc/xyz}", "xyzABC123ABCxyz");
        check(&z, "${stringZ/abc/xyz}", "xyzABC123ABCabc");
        check(
            &[("filename", "bash.string.txt")],
            "${filename#*.}",
            "string.txt",
        );
        check(&[("filename", "path/to/file")], "${filename#*/}", "to/file");
        check(
            &[("filename", "/path/to/file")],
            "${filename#*/}",
            "path/to/file",
        );
        check(&[("filename", "bash.string.txt")], "${filename##*.}", "txt");
        check(&[("filename", "path/to/file")], "${filename##*/}", "file");
        check(&[("filename", "/path/to/file")], "${filename##*/}", "file");
        check(
            &[("filename", "bash.string.txt")],
            "${filename%.*}",
            "bash.string",
        );
        check(
            &[("filename", "bash.string.txt")],
            "${filename%%.*}",
            "bash",
        );
        check(&v, "${var=${var01^^}}", "ABCDEFGH28IJ");
        check(&[("stringZ", "foo/bar")], r"${stringZ/\//-}", "foo-bar");
        check(
            &[("stringZ", "foo/bar/baz")],
            r"${stringZ//\//-}",
            "foo-bar-baz",
        );
        check(&[("stringZ", "foo.bar")], "${stringZ/./}", "foobar");
    }

    #[test]
    fn escapes_match_the_fork() {
        let v = [("var01", "abcdEFGH28ij")];
        check(&v, "$${var01}", "${var01}");
        check(
            &v,
            "some text ${var01}$${var$${var01}$var01${var01}",
            "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij",
        );
        check(
            &[("default_var", "foo")],
            "something $${var=${default_var}}",
            "something ${var=foo}",
        );
        check(
            &[("default_var", "foo")],
            "\\\\something ${var=${default_var}}",
            "\\\\something foo",
        );
        check(&[], "$$$", "$$");
        check(&[], "cost: $5 and $$10", "cost: $5 and $10");
        check(&[("a", "x")], "ünïcødé ${a} ü", "ünïcødé x ü");
    }

    #[test]
    fn errors_match_the_fork() {
        let l = lenient(&[]);
        assert_eq!(eval("${foo", &l), Err(EnvsubstError::MissingClosingBrace));
        assert_eq!(
            eval("${foo-bar}", &l),
            Err(EnvsubstError::MissingClosingBrace)
        );
        assert_eq!(eval("${}", &l), Err(EnvsubstError::VariableName));
        assert_eq!(eval("${#}", &l), Err(EnvsubstError::BadSubstitution));
        let s = strict(&[("foo", "bar")]);
        assert_eq!(eval("${foo}", &s).as_deref(), Ok("bar"));
        assert_eq!(
            eval("${missing}", &s),
            Err(EnvsubstError::VariableNotSet("missing".into()))
        );
        assert_eq!(
            eval("${missing}", &s).map_err(|e| e.to_string()),
            Err("variable not set (strict mode): \"missing\"".to_string())
        );
        assert_eq!(eval("${missing:=default}", &s).as_deref(), Ok("default"));
        for e in [
            "${#missing}",
            "${missing^^}",
            "${missing:0}",
            "${missing//a/b}",
            "${missing%%a}",
        ] {
            assert!(eval(e, &s).is_err(), "{e}");
        }
        let deep = "${a:=".repeat(1000);
        assert_eq!(eval(&deep, &l), Err(EnvsubstError::TooDeep));
    }

    #[test]
    fn glob_matches_like_the_fork() {
        assert_eq!(glob_match(b"*", b"a/b"), Ok(true));
        assert_eq!(glob_match(b"a?c", b"abc"), Ok(true));
        assert_eq!(glob_match(b"[a-c]x", b"bx"), Ok(true));
        assert_eq!(glob_match(b"[^a-c]x", b"bx"), Ok(false));
        assert_eq!(glob_match(b"[", b"a"), Err(()));
    }
}
