//! Decrypt and encrypt a ~1 MiB YAML file with 10,000 values.

use criterion::{criterion_group, criterion_main, Criterion};
use krust_sops::{decrypt, encrypt, AgeKey, EncryptOptions, Format, KeyGroup, KeySources};

fn input() -> String {
    let mut s = String::with_capacity(1 << 20);
    let filler = "x".repeat(80);
    for i in 0..1000 {
        s.push_str(&format!("group{i}:\n"));
        for j in 0..10 {
            s.push_str(&format!("    key{j}: value-{i}-{j}-{filler}\n"));
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let id = age::x25519::Identity::generate();
    let mut keys = KeySources::new();
    keys.add_age_identities(
        age::secrecy::ExposeSecret::expose_secret(&id.to_string()),
        "bench",
    )
    .unwrap();
    let opts = EncryptOptions {
        key_groups: vec![KeyGroup {
            age: vec![AgeKey {
                recipient: id.to_public().to_string(),
                enc: String::new(),
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let plain = input();
    let enc = encrypt(plain.as_bytes(), Format::Yaml, &opts, &keys).unwrap();
    let mut g = c.benchmark_group("yaml_1mib_10k_values");
    g.sample_size(10);
    g.bench_function("encrypt", |b| {
        b.iter(|| encrypt(plain.as_bytes(), Format::Yaml, &opts, &keys).unwrap())
    });
    g.bench_function("decrypt", |b| {
        b.iter(|| decrypt(&enc, Format::Yaml, &keys).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
