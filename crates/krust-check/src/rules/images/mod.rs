//! `KR-IMG`: images and versions.

pub mod floating_chart_version;
pub mod image_latest;
pub mod pull_always_mutable;
pub mod registry_allowlist;

use krust_yaml::Value;

use crate::context::Context;
use crate::util;
use crate::CheckedObject;

/// Every container image of a workload: (field path, container name, image).
pub fn images(o: &CheckedObject) -> Vec<(String, &str, &Value, &str)> {
    let mut out = Vec::new();
    if let Some((spec, base)) = util::pod_spec(&o.value) {
        for (list, i, c) in util::containers(spec) {
            if let Some(img) = c.str_at(&["image"]) {
                out.push((
                    format!("{base}.{list}[{i}].image"),
                    c.str_at(&["name"]).unwrap_or("?"),
                    c,
                    img,
                ));
            }
        }
    }
    out
}

/// Whether a version constraint floats (ranges, wildcards, empty).
pub fn is_floating_version(v: &str) -> bool {
    let t = v.trim();
    t.is_empty()
        || t == "*"
        || t.eq_ignore_ascii_case("latest")
        || t.contains(['*', '^', '~', '>', '<', '|'])
        || t.split('.').any(|p| p.eq_ignore_ascii_case("x"))
        || t.contains(" - ")
}

/// Runs `f` on every object of the context.
pub fn each_object<'a>(ctx: &'a Context<'a>) -> impl Iterator<Item = &'a CheckedObject> + 'a {
    ctx.objects().map(|(_, o)| o)
}
