//! `KR-SEC`: secrets.

pub mod credential_value;
pub mod plain_secret;
pub mod secret_generator_literal;
pub mod sops_rule_unused;
pub mod sops_uncovered;
pub mod sops_without_decryption;

use krust_yaml::Value;

/// Whether an object carries SOPS metadata (`sops:` with a `mac`).
pub fn is_sops_object(v: &Value) -> bool {
    v.get_path(&["sops", "mac"])
        .is_some_and(|m| !m.is_null() && m.as_str() != Some(""))
}

/// Whether a string is a SOPS-encrypted value.
pub fn is_encrypted_value(s: &str) -> bool {
    s.starts_with("ENC[")
}

/// Whether a key name suggests a credential (`password`, `apiKey`, `client_secret`, …) and is
/// not a reference to one (`existingSecret`, `passwordSecretName`, `tokenSecretRef`, …).
pub fn is_credential_name(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '.'], "_");
    let hit = [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "private_key",
        "privatekey",
        "access_key",
        "accesskey",
        "credential",
    ]
    .iter()
    .any(|w| k.contains(w));
    if !hit {
        return false;
    }
    let refs = [
        "existing",
        "secretname",
        "secret_name",
        "secretref",
        "secret_ref",
        "keyref",
        "key_ref",
        "secrets",
        "file",
        "path",
        "passwordkey",
        "password_key",
        "tokenkey",
        "usersecret",
        "secretkeyref",
        "enabled",
        "length",
        "policy",
        "ttl",
        "expir",
        "name",
    ];
    !refs.iter().any(|r| k.contains(r) && k != "secret_key")
}

/// Whether a literal looks like a real credential value rather than a placeholder, reference
/// or flag.
pub fn is_credential_value(s: &str) -> bool {
    let t = s.trim();
    if t.len() < 4 || t.contains("${") || is_encrypted_value(t) {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    !matches!(
        lower.as_str(),
        "true" | "false" | "null" | "none" | "required" | "optional"
    ) && !t.starts_with('/')
        && !t.starts_with("{{")
        && !t.starts_with("$(")
}

/// Whether a string contains a PEM private key block.
pub fn has_private_key(s: &str) -> bool {
    s.contains("-----BEGIN") && s.contains("PRIVATE KEY-----")
}

/// The creation rules of a `.sops.yaml` document: (index, path_regex).
pub fn creation_rules(doc: &Value) -> Vec<(usize, Option<String>)> {
    doc.get("creation_rules")
        .and_then(Value::as_seq)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, r)| (i, r.str_at(&["path_regex"]).map(str::to_string)))
        .collect()
}
