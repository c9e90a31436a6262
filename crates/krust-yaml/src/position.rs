//! Source positions of the nodes of a YAML stream: an opt-in side table for callers that point
//! users at a field (`krust check` reports `spec.template.spec.containers[0].image` at the line
//! of `image:`, not at the line of the document).
//!
//! [`parse_positions`] is a separate pass over the same event stream as
//! [`parse_documents`](crate::parse_documents), so the value parser pays nothing for it. Documents
//! come out in the same order and with the same start line as [`Document::line`](crate::Document)
//! reports, which is how a caller matches a document to its positions.
//!
//! ```
//! use krust_yaml::position::{parse_positions, PathSegment};
//! let text = "kind: Pod\nspec:\n  containers:\n    - name: web\n      image: nginx\n";
//! let docs = parse_positions(text).unwrap();
//! let image = [
//!     PathSegment::Key("spec"),
//!     PathSegment::Key("containers"),
//!     PathSegment::Index(0),
//!     PathSegment::Key("image"),
//! ];
//! assert_eq!(docs[0].root.lookup(&image).map(|p| p.line), Some(5));
//! ```
//!
//! Keys merged with `<<` and the contents of aliases are not expanded: a lookup of such a path
//! stops at the mapping or alias that brings them in ([`PosNode::lookup_prefix`]).

use saphyr_parser::{Event, Parser, Span};

use crate::parse::ParseError;

/// A position in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

impl Pos {
    fn of(span: &Span) -> Pos {
        Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }
}

/// One node and the positions of what it contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosNode {
    /// Where the node starts (for a block mapping or sequence: its first key or `-`).
    pub pos: Pos,
    /// Its entries or items.
    pub children: PosChildren,
}

/// What a [`PosNode`] contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PosChildren {
    /// A scalar or an alias.
    Leaf,
    /// A mapping: each key's text, the key's position, and the value.
    Map(Vec<(String, Pos, PosNode)>),
    /// A sequence: its items.
    Seq(Vec<PosNode>),
}

/// One step of a path into a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSegment<'a> {
    /// A mapping key.
    Key(&'a str),
    /// A sequence index.
    Index(usize),
}

/// The positions of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPositions {
    /// 1-based line of the document's first node (as [`Document::line`](crate::Document)).
    pub line: usize,
    /// The root node.
    pub root: PosNode,
}

impl PosNode {
    /// The entry of a mapping: the key's position and the value.
    pub fn entry(&self, key: &str) -> Option<(Pos, &PosNode)> {
        match &self.children {
            PosChildren::Map(entries) => entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, p, v)| (*p, v)),
            _ => None,
        }
    }

    /// The item of a sequence.
    pub fn item(&self, index: usize) -> Option<&PosNode> {
        match &self.children {
            PosChildren::Seq(items) => items.get(index),
            _ => None,
        }
    }

    /// The position of the node at `path` (for a mapping entry: its key's position); `None`
    /// when the path does not exist.
    pub fn lookup(&self, path: &[PathSegment<'_>]) -> Option<Pos> {
        match self.lookup_prefix(path) {
            (pos, n) if n == path.len() => Some(pos),
            _ => None,
        }
    }

    /// The position of the deepest node on `path` that exists, and how many segments led to it
    /// (0: only this node).
    pub fn lookup_prefix(&self, path: &[PathSegment<'_>]) -> (Pos, usize) {
        let mut node = self;
        let mut pos = self.pos;
        for (i, seg) in path.iter().enumerate() {
            let next = match *seg {
                PathSegment::Key(k) => node.entry(k),
                PathSegment::Index(n) => node.item(n).map(|v| (v.pos, v)),
            };
            match next {
                Some((p, v)) => {
                    pos = p;
                    node = v;
                }
                None => return (pos, i),
            }
        }
        (pos, path.len())
    }
}

/// A collection being read.
enum Frame {
    Map {
        pos: Pos,
        entries: Vec<(String, Pos, PosNode)>,
        pending: Option<(String, Pos)>,
    },
    Seq {
        pos: Pos,
        items: Vec<PosNode>,
    },
}

/// Reads the positions of every document of a YAML stream. Fails where
/// [`parse_documents`](crate::parse_documents) fails on syntax (not on the value checks it adds,
/// such as duplicate keys).
pub fn parse_positions(text: &str) -> Result<Vec<DocumentPositions>, ParseError> {
    let mut parser = Parser::new_from_str(text);
    let mut next = move || -> Result<(Event<'_>, Span), ParseError> {
        match parser.next_event() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(ParseError {
                line: e.marker().line(),
                column: e.marker().col() + 1,
                message: e.info().to_string(),
            }),
            None => Err(ParseError {
                line: 0,
                column: 0,
                message: "unexpected end of YAML stream".into(),
            }),
        }
    };
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut doc_line: Option<usize> = None;
    let mut root_done = false;
    loop {
        let (ev, span) = next()?;
        // A finished node, and its text when it is a scalar (a mapping key needs it).
        let done: (PosNode, Option<String>) = match ev {
            Event::StreamStart | Event::Nothing => continue,
            Event::StreamEnd => return Ok(docs),
            Event::DocumentStart(_) => {
                doc_line = None;
                root_done = false;
                continue;
            }
            Event::DocumentEnd => {
                if !root_done {
                    // An empty document.
                    let pos = Pos::of(&span);
                    docs.push(DocumentPositions {
                        line: pos.line,
                        root: PosNode {
                            pos,
                            children: PosChildren::Leaf,
                        },
                    });
                }
                continue;
            }
            Event::MappingStart(..) => {
                note_start(&mut doc_line, &stack, &span);
                stack.push(Frame::Map {
                    pos: Pos::of(&span),
                    entries: Vec::new(),
                    pending: None,
                });
                continue;
            }
            Event::SequenceStart(..) => {
                note_start(&mut doc_line, &stack, &span);
                stack.push(Frame::Seq {
                    pos: Pos::of(&span),
                    items: Vec::new(),
                });
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Frame::Map { pos, entries, .. }) => (
                    PosNode {
                        pos,
                        children: PosChildren::Map(entries),
                    },
                    None,
                ),
                Some(Frame::Seq { pos, items }) => (
                    PosNode {
                        pos,
                        children: PosChildren::Seq(items),
                    },
                    None,
                ),
                None => {
                    return Err(ParseError {
                        line: Pos::of(&span).line,
                        column: Pos::of(&span).column,
                        message: "unexpected end of collection".into(),
                    })
                }
            },
            Event::Scalar(text, ..) => {
                note_start(&mut doc_line, &stack, &span);
                (
                    PosNode {
                        pos: Pos::of(&span),
                        children: PosChildren::Leaf,
                    },
                    Some(text.into_owned()),
                )
            }
            Event::Alias(_) => {
                note_start(&mut doc_line, &stack, &span);
                (
                    PosNode {
                        pos: Pos::of(&span),
                        children: PosChildren::Leaf,
                    },
                    None,
                )
            }
        };
        let (node, text) = done;
        match stack.last_mut() {
            None => {
                let line = doc_line.take().unwrap_or(node.pos.line);
                docs.push(DocumentPositions { line, root: node });
                root_done = true;
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, pending, ..
            }) => match pending.take() {
                None => *pending = Some((text.unwrap_or_default(), node.pos)),
                Some((key, key_pos)) => entries.push((key, key_pos, node)),
            },
        }
    }
}

/// Remembers the line of a document's first node.
fn note_start(doc_line: &mut Option<usize>, stack: &[Frame], span: &Span) {
    if stack.is_empty() && doc_line.is_none() {
        *doc_line = Some(span.start.line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_documents;

    fn line(doc: &DocumentPositions, path: &[PathSegment<'_>]) -> Option<usize> {
        doc.root.lookup(path).map(|p| p.line)
    }

    #[test]
    fn keys_items_and_flow_collections() {
        let text = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:latest
          ports: [{containerPort: 80}]
        - name: cache
          image: redis
";
        let docs = parse_positions(text).unwrap();
        use PathSegment::{Index as I, Key as K};
        let d = &docs[0];
        assert_eq!(d.line, 1);
        assert_eq!(line(d, &[K("kind")]), Some(2));
        assert_eq!(line(d, &[K("metadata"), K("name")]), Some(4));
        let c = [K("spec"), K("template"), K("spec"), K("containers")];
        assert_eq!(
            line(d, &[c[0], c[1], c[2], c[3], I(0), K("image")]),
            Some(10)
        );
        assert_eq!(line(d, &[c[0], c[1], c[2], c[3], I(1)]), Some(12));
        assert_eq!(
            line(d, &[c[0], c[1], c[2], c[3], I(1), K("image")]),
            Some(13)
        );
        let port = [
            c[0],
            c[1],
            c[2],
            c[3],
            I(0),
            K("ports"),
            I(0),
            K("containerPort"),
        ];
        assert_eq!(line(d, &port), Some(11));
        let missing = [c[0], c[1], c[2], c[3], I(1), K("resources"), K("limits")];
        assert_eq!(line(d, &missing), None);
        let (pos, depth) = d.root.lookup_prefix(&missing);
        assert_eq!((pos.line, depth), (12, 5));
        assert_eq!(d.root.entry("kind").map(|(p, _)| p.column), Some(1));
    }

    #[test]
    fn documents_match_the_value_parser() {
        let text = "# c\na: 1\n---\n---\n# x\n\nb:\n  - 1\n  - 2\n--- plain\n---\n- x\n...\n";
        let values = parse_documents(text).unwrap();
        let positions = parse_positions(text).unwrap();
        assert_eq!(
            values.iter().map(|d| d.line).collect::<Vec<_>>(),
            positions.iter().map(|d| d.line).collect::<Vec<_>>()
        );
        use PathSegment::{Index as I, Key as K};
        assert_eq!(line(&positions[2], &[K("b"), I(1)]), Some(9));
    }

    #[test]
    fn block_scalars_aliases_and_quoted_keys() {
        let text = "\
data:
  \"entrypoint.sh\": |
    echo ${A}
  base: &b {x: 1}
  copy: *b
  <<: *b
";
        let docs = parse_positions(text).unwrap();
        use PathSegment::Key as K;
        assert_eq!(line(&docs[0], &[K("data"), K("entrypoint.sh")]), Some(2));
        assert_eq!(line(&docs[0], &[K("data"), K("copy")]), Some(5));
        assert_eq!(line(&docs[0], &[K("data"), K("base"), K("x")]), Some(4));
        // Contents of an alias are not expanded.
        assert_eq!(line(&docs[0], &[K("data"), K("copy"), K("x")]), None);
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(parse_positions("a: [1, 2\n").is_err());
        assert!(parse_positions("a:\n  b: 1\n   c: 2\n").is_err());
    }
}
