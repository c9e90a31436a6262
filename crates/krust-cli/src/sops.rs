//! `krust sops`: decrypt, encrypt, rotate, updatekeys and filestatus for SOPS files.
//!
//! Exit codes: 0 success, 1 failure (bad key, tampered file, parse error, …), 2 usage error.

use krust_sops::config::{find_config, Config};
use krust_sops::{
    DecryptOptions, EncryptOptions, Format, Item, KeyGroup, KeySources, Selectors, StoreOptions,
    Value,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `krust sops`.
#[derive(clap::Args)]
#[command(
    after_help = "Exit codes: 0 success, 1 failure (no usable key, tampered value or MAC, \
                        parse error, …), 2 usage error.\nKeys: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, \
                        SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_FILE, \
                        $XDG_CONFIG_HOME/sops/age/keys.txt, --age-key, --pgp-key, the GnuPG keyring."
)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Options shared by every subcommand.
#[derive(clap::Args, Clone, Default)]
struct Common {
    /// Input format (yaml, json, dotenv, ini, binary); default from the file extension.
    #[arg(long, global = true)]
    input_type: Option<String>,
    /// Output format (yaml, json, dotenv, ini, binary); default the input format.
    #[arg(long, global = true)]
    output_type: Option<String>,
    /// age identity file (AGE-SECRET-KEY-1… / AGE-SECRET-KEY-PQ-1… lines or an SSH private
    /// key); repeatable.
    #[arg(long = "age-key", value_name = "FILE", global = true)]
    age_key: Vec<PathBuf>,
    /// Armored OpenPGP key file (secret key to decrypt, public key to encrypt); repeatable.
    #[arg(long = "pgp-key", value_name = "FILE", global = true)]
    pgp_key: Vec<PathBuf>,
    /// Use this config instead of looking up `.sops.yaml`.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Decrypt a file (to stdout unless -i or -o).
    Decrypt {
        /// The SOPS file (`-` for standard input, with --input-type).
        file: PathBuf,
        /// Do not fail when the MAC does not match.
        #[arg(long)]
        ignore_mac: bool,
        /// Print only this value, e.g. '["a"]["b"]' or '["list"][0]'.
        #[arg(long)]
        extract: Option<String>,
        /// Write the plaintext back into FILE.
        #[arg(short = 'i', long = "in-place")]
        in_place: bool,
        /// Write the plaintext to this file.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Encrypt a file using the matching `.sops.yaml` creation rule or explicit keys.
    Encrypt {
        /// The plaintext file (`-` for standard input, with --input-type).
        file: PathBuf,
        /// Write the result back into FILE.
        #[arg(short = 'i', long = "in-place")]
        in_place: bool,
        /// Write the result to this file.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// age recipients (age1…, age1pq1… or SSH public keys; comma separated), instead of the
        /// creation rule's keys.
        #[arg(long)]
        age: Option<String>,
        /// PGP fingerprints (comma separated), instead of the creation rule's keys.
        #[arg(long)]
        pgp: Option<String>,
        /// Match the creation rule for this path instead of FILE.
        #[arg(long)]
        filename_override: Option<PathBuf>,
        #[command(flatten)]
        sel: Box<SelectorArgs>,
        #[command(flatten)]
        common: Common,
    },
    /// Generate a new data key and re-encrypt every value.
    Rotate {
        /// The SOPS file.
        file: PathBuf,
        /// Write the result back into FILE.
        #[arg(short = 'i', long = "in-place")]
        in_place: bool,
        /// Write the result to this file.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Re-wrap the data key for the master keys of the current creation rule.
    Updatekeys {
        /// The SOPS file (rewritten in place).
        file: PathBuf,
        /// Accepted for compatibility (no prompt is shown).
        #[arg(short = 'y', long)]
        yes: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Print whether a file is encrypted: {"encrypted":true|false}.
    Filestatus {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

/// Value selection flags of `encrypt` (override the creation rule).
#[derive(clap::Args, Clone, Default)]
struct SelectorArgs {
    /// Leave values whose key ends with this suffix unencrypted.
    #[arg(long)]
    unencrypted_suffix: Option<String>,
    /// Encrypt only values whose key ends with this suffix.
    #[arg(long)]
    encrypted_suffix: Option<String>,
    /// Leave values whose key matches this regex unencrypted.
    #[arg(long)]
    unencrypted_regex: Option<String>,
    /// Encrypt only values whose key matches this regex.
    #[arg(long)]
    encrypted_regex: Option<String>,
    /// Leave values after a comment matching this regex unencrypted.
    #[arg(long)]
    unencrypted_comment_regex: Option<String>,
    /// Encrypt only values after a comment matching this regex.
    #[arg(long)]
    encrypted_comment_regex: Option<String>,
    /// Compute the MAC only over encrypted values.
    #[arg(long)]
    mac_only_encrypted: bool,
    /// Shamir threshold when the rule has several key groups.
    #[arg(long)]
    shamir_secret_sharing_threshold: Option<usize>,
}

impl SelectorArgs {
    fn selectors(&self) -> Selectors {
        Selectors {
            unencrypted_suffix: self.unencrypted_suffix.clone(),
            encrypted_suffix: self.encrypted_suffix.clone(),
            unencrypted_regex: self.unencrypted_regex.clone(),
            encrypted_regex: self.encrypted_regex.clone(),
            unencrypted_comment_regex: self.unencrypted_comment_regex.clone(),
            encrypted_comment_regex: self.encrypted_comment_regex.clone(),
        }
    }
}

/// A failure with its exit code.
struct Fail(u8, String);

impl From<krust_sops::Error> for Fail {
    fn from(e: krust_sops::Error) -> Self {
        Fail(1, e.to_string())
    }
}

/// Runs `krust sops`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match run_inner(args) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Fail(code, msg)) => {
            eprintln!("krust sops: error: {msg}");
            Ok(ExitCode::from(code))
        }
    }
}

fn format_of(name: Option<&str>, file: &Path) -> Result<Format, Fail> {
    match name {
        Some(n) => Format::from_name(n).ok_or_else(|| {
            Fail(
                2,
                format!("unknown file type {n:?} (yaml, json, dotenv, ini, binary)"),
            )
        }),
        None if file == Path::new("-") => Err(Fail(
            2,
            "reading standard input (`-`) needs --input-type".into(),
        )),
        None => Ok(Format::from_path(file)),
    }
}

fn read(file: &Path) -> Result<Vec<u8>, Fail> {
    if file == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| Fail(1, format!("cannot read standard input: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(file).map_err(|e| Fail(1, format!("cannot read {}: {e}", file.display())))
}

fn keys(c: &Common) -> Result<KeySources, Fail> {
    let mut ks = KeySources::from_env();
    for f in &c.age_key {
        let b = read(f)?;
        let label = f.display().to_string();
        ks.add_age_identities(&String::from_utf8_lossy(&b), &label)?;
    }
    for f in &c.pgp_key {
        let b = read(f)?;
        ks.add_pgp_key(&String::from_utf8_lossy(&b), &f.display().to_string())?;
    }
    Ok(ks)
}

fn load_config(c: &Common) -> Result<Option<Config>, Fail> {
    let path = match &c.config {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir().ok().and_then(|d| find_config(&d)),
    };
    match path {
        Some(p) => Ok(Some(Config::load(&p)?)),
        None => Ok(None),
    }
}

fn write_out(bytes: &[u8], in_place: Option<&Path>, output: Option<&Path>) -> Result<(), Fail> {
    if in_place == Some(Path::new("-")) {
        return Err(Fail(2, "-i cannot be used with standard input".into()));
    }
    let target = output.or(in_place);
    match target {
        Some(p) => {
            // Write to a temporary file next to the target, then rename over it.
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let tmp = dir.join(format!(
                ".{}.krust-sops.tmp",
                p.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ));
            std::fs::write(&tmp, bytes)
                .and_then(|_| std::fs::rename(&tmp, p))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    Fail(1, format!("cannot write {}: {e}", p.display()))
                })
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|_| out.flush())
                .map_err(|e| Fail(1, format!("cannot write to stdout: {e}")))
        }
    }
}

/// Parses `["a"]["b"][0]`.
fn parse_extract(s: &str) -> Result<Vec<Result<String, usize>>, Fail> {
    let bad = || {
        Fail(
            2,
            format!("invalid --extract path {s:?} (expected e.g. '[\"a\"][0]')"),
        )
    };
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let r = rest.strip_prefix('[').ok_or_else(bad)?;
        if let Some(r) = r.strip_prefix('"').or_else(|| r.strip_prefix('\'')) {
            let q = if rest.as_bytes()[1] == b'"' {
                '"'
            } else {
                '\''
            };
            let end = r.find(q).ok_or_else(bad)?;
            out.push(Ok(r[..end].to_string()));
            rest = r[end + 1..].strip_prefix(']').ok_or_else(bad)?;
        } else {
            let end = r.find(']').ok_or_else(bad)?;
            let n: usize = r[..end].trim().parse().map_err(|_| bad())?;
            out.push(Err(n));
            rest = &r[end + 1..];
        }
    }
    Ok(out)
}

fn extract(
    branch: &[Item],
    path: &str,
    format: Format,
    store: &StoreOptions,
) -> Result<Vec<u8>, Fail> {
    let comps = parse_extract(path)?;
    let mut cur = Value::Map(branch.to_vec());
    for c in comps {
        cur = match (c, cur) {
            (Ok(k), Value::Map(b)) => krust_sops::tree::branch_get(&b, &k)
                .cloned()
                .ok_or_else(|| Fail(1, format!("component [{k:?}] not found")))?,
            (Err(i), Value::Seq(s)) => s
                .into_iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .nth(i)
                .ok_or_else(|| Fail(1, format!("component [{i}] accesses out of bounds")))?,
            (Ok(k), _) => {
                return Err(Fail(
                    1,
                    format!("component [{k:?}] not found: not a mapping"),
                ))
            }
            (Err(i), _) => {
                return Err(Fail(
                    1,
                    format!("component [{i}] is an integer, but the value is not a list"),
                ))
            }
        };
    }
    Ok(match cur {
        Value::Map(b) => krust_sops::emit_plain(&[b], format, store)?,
        Value::Seq(_) => match format {
            Format::Json => {
                krust_sops::stores::json::emit_value_string(&cur, &store.json_indent).into_bytes()
            }
            _ => {
                let wrapped = vec![Item::Pair("_".into(), cur)];
                let s = String::from_utf8_lossy(&krust_sops::emit_plain(
                    &[wrapped],
                    Format::Yaml,
                    store,
                )?)
                .to_string();
                s.lines()
                    .skip(1)
                    .map(|l| format!("{}\n", l.get(store.yaml_indent..).unwrap_or(l)))
                    .collect::<String>()
                    .into_bytes()
            }
        },
        Value::Str(s) => s.into_bytes(),
        v => match format {
            Format::Yaml => {
                // yaml.Marshal of a scalar: its YAML text and a newline.
                let wrapped = vec![Item::Pair("_".into(), v)];
                let s = String::from_utf8_lossy(&krust_sops::emit_plain(
                    &[wrapped],
                    Format::Yaml,
                    store,
                )?)
                .to_string();
                s.strip_prefix("_: ").unwrap_or(&s).to_string().into_bytes()
            }
            Format::Dotenv => {
                return Err(Fail(
                    1,
                    "the dotenv store only supports extracting strings".into(),
                ))
            }
            _ => krust_sops::stores::json::emit_value_string(&v, &store.json_indent).into_bytes(),
        },
    })
}

fn groups_from_flags(age: &Option<String>, pgp: &Option<String>) -> Option<Vec<KeyGroup>> {
    if age.is_none() && pgp.is_none() {
        return None;
    }
    let split = |s: &Option<String>| -> Vec<String> {
        s.as_deref()
            .unwrap_or("")
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    let mut g = KeyGroup::default();
    for r in split(age) {
        g.age.push(krust_sops::AgeKey {
            recipient: r,
            enc: String::new(),
        });
    }
    for fp in split(pgp) {
        g.pgp.push(krust_sops::PgpKey {
            fp,
            enc: String::new(),
            created_at: String::new(),
        });
    }
    Some(vec![g])
}

fn wanted_threshold(rule: &EncryptOptions) -> usize {
    if rule.shamir_threshold == 0 {
        rule.key_groups.len()
    } else {
        rule.shamir_threshold
    }
}

fn run_inner(args: Args) -> Result<(), Fail> {
    match args.cmd {
        Cmd::Decrypt {
            file,
            ignore_mac,
            extract: ex,
            in_place,
            output,
            common,
        } => {
            let format = format_of(common.input_type.as_deref(), &file)?;
            let out_format = match &common.output_type {
                Some(_) => format_of(common.output_type.as_deref(), &file)?,
                None => format,
            };
            let bytes = read(&file)?;
            let ks = keys(&common)?;
            let store = load_config(&common)
                .ok()
                .flatten()
                .map(|c| c.store_options())
                .unwrap_or_default();
            let opts = DecryptOptions {
                ignore_mac,
                output: Some(out_format),
                store: store.clone(),
            };
            let d = krust_sops::decrypt_with(&bytes, format, &ks, &opts)?;
            if !d.mac_ok {
                eprintln!("krust sops: warning: MAC mismatch ignored (--ignore-mac)");
            }
            let out = match ex {
                Some(p) => {
                    let b = d
                        .branches
                        .first()
                        .ok_or_else(|| Fail(1, "empty file".into()))?;
                    extract(b, &p, out_format, &store)?
                }
                None => d.plaintext,
            };
            write_out(&out, in_place.then_some(file.as_path()), output.as_deref())
        }
        Cmd::Encrypt {
            file,
            in_place,
            output,
            age,
            pgp,
            filename_override,
            sel,
            common,
        } => {
            let format = format_of(common.input_type.as_deref(), &file)?;
            let out_format = match &common.output_type {
                Some(_) => format_of(common.output_type.as_deref(), &file)?,
                None => format,
            };
            let bytes = read(&file)?;
            let ks = keys(&common)?;
            let config = load_config(&common)?;
            let rule_path = filename_override.as_deref().unwrap_or(&file);
            let mut opts = match (&config, groups_from_flags(&age, &pgp)) {
                // Keys from flags; the matching rule (if any) still gives the selectors.
                (Some(c), Some(groups)) => match c.rule_for(rule_path) {
                    Ok(rule) => EncryptOptions {
                        key_groups: groups,
                        grouped: false,
                        shamir_threshold: 0,
                        ..rule
                    },
                    Err(_) => EncryptOptions {
                        key_groups: groups,
                        store: c.store_options(),
                        ..Default::default()
                    },
                },
                (None, Some(groups)) => EncryptOptions {
                    key_groups: groups,
                    ..Default::default()
                },
                (Some(c), None) => c.rule_for(rule_path)?,
                (None, None) => {
                    return Err(Fail(
                        1,
                        "no .sops.yaml found and no keys given (use --age or --pgp)".into(),
                    ))
                }
            };
            if sel.selectors().count() > 0 {
                opts.selectors = sel.selectors();
            }
            if sel.mac_only_encrypted {
                opts.mac_only_encrypted = true;
            }
            if let Some(t) = sel.shamir_secret_sharing_threshold {
                opts.shamir_threshold = t;
            }
            let mut enc = krust_sops::encrypt(&bytes, format, &opts, &ks)?;
            if out_format != format {
                let (b, md) = krust_sops::load_encrypted(&enc, format)?;
                let f = if out_format == Format::Binary {
                    Format::Json
                } else {
                    out_format
                };
                enc = krust_sops::emit_encrypted(&b, &md, f, &opts.store)?;
            }
            write_out(&enc, in_place.then_some(file.as_path()), output.as_deref())
        }
        Cmd::Rotate {
            file,
            in_place,
            output,
            common,
        } => {
            let format = format_of(common.input_type.as_deref(), &file)?;
            let bytes = read(&file)?;
            let ks = keys(&common)?;
            let store = load_config(&common)
                .ok()
                .flatten()
                .map(|c| c.store_options())
                .unwrap_or_default();
            let out = krust_sops::rotate(&bytes, format, &ks, &store)?;
            write_out(&out, in_place.then_some(file.as_path()), output.as_deref())
        }
        Cmd::Updatekeys {
            file,
            yes: _,
            common,
        } => {
            let format = format_of(common.input_type.as_deref(), &file)?;
            let bytes = read(&file)?;
            let ks = keys(&common)?;
            let config = load_config(&common)?.ok_or_else(|| {
                Fail(
                    1,
                    "no .sops.yaml found (updatekeys needs a creation rule)".into(),
                )
            })?;
            let rule = config.rule_for(&file)?;
            let (_, md) = krust_sops::load_encrypted(&bytes, format)?;
            let wanted = krust_sops::Metadata {
                key_groups: rule.key_groups.clone(),
                ..Default::default()
            };
            if md.key_names() == wanted.key_names()
                && md.key_groups.len() == rule.key_groups.len()
                && (md.key_groups.len() <= 1 || md.threshold() == wanted_threshold(&rule))
            {
                eprintln!("krust sops: {} is already up to date", file.display());
                return Ok(());
            }
            let out = krust_sops::update_keys(
                &bytes,
                format,
                &ks,
                rule.key_groups,
                rule.grouped,
                rule.shamir_threshold,
                &rule.store,
            )?;
            write_out(&out, Some(&file), None)?;
            eprintln!("krust sops: updated the keys of {}", file.display());
            Ok(())
        }
        Cmd::Filestatus { file, common } => {
            let format = format_of(common.input_type.as_deref(), &file)?;
            let bytes = read(&file)?;
            let enc = krust_sops::is_encrypted(&bytes, format);
            println!("{{\"encrypted\":{enc}}}");
            Ok(())
        }
    }
}
