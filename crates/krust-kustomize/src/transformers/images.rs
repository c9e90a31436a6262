//! The image transformer (`images:`, `ImageTagTransformer`).

use krust_yaml::Value;

use crate::patch::regex::Regex;
use crate::resource::ResMap;

use super::fieldspec::{apply_field_spec, CreateKind, FieldSpec};
use super::TransformError;

/// One `images:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Image {
    /// The image name to match (without tag or digest).
    pub name: String,
    /// Replacement name.
    pub new_name: String,
    /// Replacement tag (drops any digest unless `digest` is also set).
    pub new_tag: String,
    /// Replacement digest (drops any tag unless `new_tag` is also set).
    pub digest: String,
    /// Text appended to the existing tag (used only without `new_tag` and `digest`).
    pub tag_suffix: String,
}

/// Rewrites the images that match `image.name`.
///
/// Contract: call once per `images:` entry, with `TransformerConfig::images` as `field_specs`.
/// As kustomize does, it makes two passes: first every `containers` / `initContainers` list found
/// anywhere in the object, then the field specs (whose `create` flag is ignored).
/// CustomResourceDefinitions are skipped. A matching field that is not a scalar is an error.
/// Does not change ids.
///
/// Matching: as kustomize, the name is a regular expression that must match the whole value
/// up to an optional `:tag` and/or `@algorithm:digest`; a name that does not compile matches
/// nothing.
pub fn transform_images(
    resources: &mut ResMap,
    image: &Image,
    field_specs: &[FieldSpec],
) -> Result<(), TransformError> {
    let matcher = ImageMatcher::new(&image.name);
    let image = &(image, &matcher);
    for r in resources.resources_mut() {
        if r.kind() == "CustomResourceDefinition" {
            continue;
        }
        legacy_walk(&mut r.value, image)?;
    }
    for r in resources.resources_mut() {
        if r.kind() == "CustomResourceDefinition" {
            continue;
        }
        for fs in field_specs {
            apply_field_spec(
                &mut r.value,
                fs,
                CreateKind::Never,
                &mut |node: &mut Value| update_image(node, image),
            )?;
        }
    }
    Ok(())
}

/// Matches image references against an `images[].name`.
enum ImageMatcher {
    /// A name without regex metacharacters: compared literally (fast path).
    Literal(String),
    /// kustomize's full pattern, compiled.
    Regex(Regex),
    /// The name does not compile: nothing matches.
    Never,
}

const TAG: &str = "[a-zA-Z0-9_.{}-]*";

impl ImageMatcher {
    fn new(name: &str) -> ImageMatcher {
        if !name.contains(|c: char| "\\+*?()|[]{}^$".contains(c)) && !name.contains('.') {
            return ImageMatcher::Literal(name.to_string());
        }
        let pattern = format!("{name}(:{TAG})?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:{TAG})?");
        match Regex::anchored(&pattern) {
            Ok(r) => ImageMatcher::Regex(r),
            Err(_) => ImageMatcher::Never,
        }
    }

    fn matches(&self, value: &str) -> bool {
        match self {
            ImageMatcher::Literal(name) => image_matches(value, name),
            ImageMatcher::Regex(r) => r.is_match(value),
            ImageMatcher::Never => false,
        }
    }
}

type Rule<'a> = (&'a Image, &'a ImageMatcher);

fn legacy_walk(node: &mut Value, image: &Rule) -> Result<(), TransformError> {
    match node {
        Value::Map(m) => {
            for (k, v) in m.iter_mut() {
                legacy_walk(v, image)?;
                if k == "containers" || k == "initContainers" {
                    if let Value::Seq(items) = v {
                        for item in items.iter_mut() {
                            if let Some(img) = item.get_mut("image") {
                                update_image(img, image)?;
                            }
                        }
                    }
                }
            }
            Ok(())
        }
        Value::Seq(items) => {
            for item in items.iter_mut() {
                legacy_walk(item, image)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn update_image(node: &mut Value, rule: &Rule) -> Result<(), TransformError> {
    let (image, matcher) = *rule;
    if matches!(node, Value::Map(_) | Value::Seq(_)) {
        return Err(TransformError::WrongTarget(format!(
            "wrong node kind: expected ScalarNode but got {}",
            node.kind_name()
        )));
    }
    let value = node.scalar_text().unwrap_or_default();
    if !matcher.matches(&value) {
        return Ok(());
    }
    let (name, tag, digest) = split_image(&value);
    let mut name = name.to_string();
    let mut tag = tag.to_string();
    let mut digest = digest.to_string();
    if !image.new_name.is_empty() {
        name = image.new_name.clone();
    }
    if !image.new_tag.is_empty() && !image.digest.is_empty() {
        tag = image.new_tag.clone();
        digest = image.digest.clone();
    } else if !image.new_tag.is_empty() {
        tag = image.new_tag.clone();
        digest.clear();
    } else if !image.digest.is_empty() {
        tag.clear();
        digest = image.digest.clone();
    } else if !image.tag_suffix.is_empty() {
        tag.push_str(&image.tag_suffix);
        digest.clear();
    }
    if !tag.is_empty() {
        name.push(':');
        name.push_str(&tag);
    }
    if !digest.is_empty() {
        name.push('@');
        name.push_str(&digest);
    }
    *node = Value::String(name);
    Ok(())
}

fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '-')
}

/// True when `value` is literally `name` optionally followed by `:tag` and/or `@alg:digest`.
pub fn image_matches(value: &str, name: &str) -> bool {
    let Some(rest) = value.strip_prefix(name) else {
        return false;
    };
    let mut rest = rest;
    if let Some(r) = rest.strip_prefix(':') {
        let end = r.find(|c: char| !is_tag_char(c)).unwrap_or(r.len());
        rest = &r[end..];
    }
    if rest.is_empty() {
        return true;
    }
    let Some(r) = rest.strip_prefix('@') else {
        return false;
    };
    // alnum+ ([.+_-] alnum+)* ':' tagchars*
    let bytes: Vec<char> = r.chars().collect();
    let mut i = 0;
    let alnum_run = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_alphanumeric() {
            *i += 1;
        }
        *i > start
    };
    if !alnum_run(&mut i) {
        return false;
    }
    while i < bytes.len() && matches!(bytes[i], '.' | '+' | '_' | '-') {
        i += 1;
        if !alnum_run(&mut i) {
            return false;
        }
    }
    if i >= bytes.len() || bytes[i] != ':' {
        return false;
    }
    bytes[i + 1..].iter().all(|c| is_tag_char(*c))
}

/// Splits an image reference into name, tag and digest as kustomize does (a `:` or `@` before
/// the first `/` is part of the registry host).
pub fn split_image(image: &str) -> (&str, &str, &str) {
    let slash = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[slash..];
    let at = search.find('@');
    let colon = search.find(':');
    match (at, colon) {
        (None, None) => (image, "", ""),
        (Some(a), c) if c.is_none_or(|c| a < c) => {
            let a = a + slash;
            (&image[..a], "", &image[a + 1..])
        }
        (Some(a), Some(c)) => {
            let (a, c) = (a + slash, c + slash);
            (&image[..c], &image[c + 1..a], &image[a + 1..])
        }
        (None, Some(c)) => {
            let c = c + slash;
            (&image[..c], &image[c + 1..], "")
        }
        // Covered by the second arm (`at` present, `colon` absent).
        (Some(a), None) => {
            let a = a + slash;
            (&image[..a], "", &image[a + 1..])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transformers::conformance_tests::{res_map, yaml_of};
    use crate::transformers::TransformerConfig;

    #[test]
    fn splitting_and_matching() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.7"), ("nginx", "1.7", ""));
        assert_eq!(split_image("nginx@sha256:abc"), ("nginx", "", "sha256:abc"));
        assert_eq!(
            split_image("nginx:1.7@sha256:abc"),
            ("nginx", "1.7", "sha256:abc")
        );
        assert_eq!(
            split_image("reg:5000/nginx:1.7"),
            ("reg:5000/nginx", "1.7", "")
        );
        assert!(image_matches("nginx:1.7", "nginx"));
        assert!(image_matches("nginx@sha256:abc", "nginx"));
        assert!(image_matches("nginx:1@sha256:abc", "nginx"));
        assert!(!image_matches("nginx2", "nginx"));
        assert!(!image_matches("my/nginx", "nginx"));
    }

    // kubectl.1.33 kustomize, images: [{name: nginx, newName: my/nginx, newTag: "2"}] and
    // [{name: busybox, digest: sha256:24a0c4b4}] rewrite containers and initContainers of any
    // kind (the legacy pass also catches a CronJob's nested pod template).
    #[test]
    fn rewrites_containers_everywhere() {
        let mut m = res_map("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - image: nginx:1.7\n            name: a\n          initContainers:\n          - image: busybox:1\n            name: b\n");
        let c = TransformerConfig::defaults();
        transform_images(
            &mut m,
            &Image {
                name: "nginx".into(),
                new_name: "my/nginx".into(),
                new_tag: "2".into(),
                ..Image::default()
            },
            &c.images,
        )
        .unwrap();
        transform_images(
            &mut m,
            &Image {
                name: "busybox".into(),
                digest: "sha256:24a0c4b4".into(),
                ..Image::default()
            },
            &c.images,
        )
        .unwrap();
        let out = yaml_of(&m);
        assert!(out.contains("- image: my/nginx:2\n"), "{out}");
        assert!(out.contains("- image: busybox@sha256:24a0c4b4\n"), "{out}");
    }
}
