//! Field lines: a finding about `spec.template.spec.containers[0].image` points at the line of
//! `image:` in the file the object was read from, not at the line its document starts on.
//!
//! Objects carry their source file and the line of their document (for kustomize-built objects,
//! the origin file of the resource). The first time a finding needs a field line in a file, the
//! file is read again with krust-yaml's position side table
//! ([`krust_yaml::position::parse_positions`]); files no field finding points into are never
//! re-read. The field path is followed as far as it exists in the source document: a field that
//! a patch or a transformer added points at its closest existing ancestor, and a list item whose
//! `name` differs between the source and the rendered object (a patch reordered the list) stops
//! the walk at the list.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use krust_yaml::position::{parse_positions, DocumentPositions, PosChildren, PosNode};
use krust_yaml::Value;

/// Parsed positions of the files findings point into, shared by the rules of one run.
#[derive(Debug, Default)]
pub struct PositionCache {
    files: Mutex<HashMap<PathBuf, Option<Arc<Vec<DocumentPositions>>>>>,
}

impl PositionCache {
    /// The positions of the documents of `path` (`None` when it cannot be read or parsed).
    pub fn get(&self, path: &Path) -> Option<Arc<Vec<DocumentPositions>>> {
        if let Some(hit) = self.lock().get(path) {
            return hit.clone();
        }
        // Parse outside the lock; two rules racing on one file parse it twice, harmlessly.
        let parsed = std::fs::read(path)
            .ok()
            .and_then(|bytes| {
                krust_yaml::decode_text(&bytes)
                    .ok()
                    .map(|t| parse_positions(&t).ok())
            })
            .flatten()
            .map(Arc::new);
        self.lock().insert(path.to_path_buf(), parsed.clone());
        parsed
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Option<Arc<Vec<DocumentPositions>>>>> {
        // A rule that panicked while holding the lock left a valid map behind.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The line of `field` (a path like `spec.containers[0].image` or `data.entrypoint.sh`) in the
/// document that starts at `doc_line` of a file with these positions. `source` is the document's
/// value as written and `rendered` the object as checked (used to notice reordered lists).
/// Returns `doc_line` when no part of the path is found.
pub fn field_line(
    docs: &[DocumentPositions],
    doc_line: usize,
    source: Option<&Value>,
    rendered: &Value,
    field: &str,
) -> usize {
    let Some(doc) = docs.iter().find(|d| d.line == doc_line) else {
        return doc_line;
    };
    let mut node: &PosNode = &doc.root;
    let mut src = source;
    let mut ren = Some(rendered);
    let mut line = doc_line;
    let mut rest = field;
    loop {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix('[') {
            let Some(end) = after.find(']') else { break };
            let Ok(i) = after[..end].parse::<usize>() else {
                break;
            };
            let Some(item) = node.item(i) else { break };
            let s_item = src.and_then(Value::as_seq).and_then(|s| s.get(i));
            let r_item = ren.and_then(Value::as_seq).and_then(|s| s.get(i));
            let names = (
                s_item.and_then(|v| v.str_at(&["name"])),
                r_item.and_then(|v| v.str_at(&["name"])),
            );
            if let (Some(a), Some(b)) = names {
                if a != b {
                    break;
                }
            }
            line = item.pos.line;
            node = item;
            src = s_item;
            ren = r_item;
            rest = &after[end + 1..];
            continue;
        }
        let PosChildren::Map(entries) = &node.children else {
            break;
        };
        // Keys may contain dots (`entrypoint.sh`, `krust.dev/ignore`): take the longest key
        // that the path continues with.
        let best = entries
            .iter()
            .filter(|(k, _, _)| {
                !k.is_empty()
                    && rest.starts_with(k.as_str())
                    && matches!(rest.as_bytes().get(k.len()), None | Some(b'.') | Some(b'['))
            })
            .max_by_key(|(k, _, _)| k.len());
        let Some((key, key_pos, value)) = best else {
            break;
        };
        line = key_pos.line;
        node = value;
        src = src.and_then(|v| v.get(key));
        ren = ren.and_then(|v| v.get(key));
        rest = &rest[key.len()..];
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(text: &str, doc_line: usize, rendered: Option<&str>, field: &str) -> usize {
        let docs = parse_positions(text).unwrap();
        let values = krust_yaml::parse_documents(text).unwrap();
        let source = values.iter().find(|d| d.line == doc_line).map(|d| &d.value);
        let rendered = match rendered {
            Some(r) => krust_yaml::parse_one(r).unwrap(),
            None => source.cloned().unwrap_or(Value::Null),
        };
        field_line(&docs, doc_line, source, &rendered, field)
    }

    const DEPLOY: &str = "\
---
apiVersion: v1
kind: ConfigMap
data:
  entrypoint.sh: |
    echo ${f}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    krust.dev/ignore: KR-IMG
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:latest
        - name: cache
          image: redis
";

    #[test]
    fn fields_resolve_to_their_key_lines() {
        assert_eq!(line_of(DEPLOY, 2, None, "data.entrypoint.sh"), 5);
        let image = "spec.template.spec.containers[0].image";
        assert_eq!(line_of(DEPLOY, 8, None, image), 18);
        assert_eq!(
            line_of(DEPLOY, 8, None, "spec.template.spec.containers[1]"),
            19
        );
        assert_eq!(
            line_of(DEPLOY, 8, None, "metadata.annotations.krust.dev/ignore"),
            12
        );
    }

    #[test]
    fn missing_fields_fall_back_to_the_closest_ancestor_or_the_document() {
        let res = "spec.template.spec.containers[1].resources.limits";
        assert_eq!(line_of(DEPLOY, 8, None, res), 19);
        assert_eq!(line_of(DEPLOY, 8, None, "status.phase"), 8);
        // Not the start of a document: the object's line is kept.
        assert_eq!(line_of(DEPLOY, 9, None, "kind"), 9);
    }

    #[test]
    fn reordered_lists_stop_at_the_list() {
        let rendered = "spec:\n  template:\n    spec:\n      containers:\n        - name: cache\n          image: redis\n";
        let image = "spec.template.spec.containers[0].image";
        assert_eq!(line_of(DEPLOY, 8, Some(rendered), image), 16);
    }
}
