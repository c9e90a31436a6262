//! Parse and emit throughput on a stream of 4,000 typical resources (1,000 × Deployment,
//! Service, ConfigMap, ServiceAccount), the size of `scripts/bench-vs-kustomize`'s base.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

/// A multi-document stream of `n` × {Deployment, Service, ConfigMap, ServiceAccount}.
fn stream(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!(
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels: {{app: app-{i}, tier: backend}}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      serviceAccountName: app-{i}
      containers:
      - name: main
        image: registry.example.com/team/app:1.{i}.0
        args: ["--port=8080", "--verbose", "--description=a long argument that goes past the eighty column limit of go-yaml"]
        ports:
        - containerPort: 8080
          name: http
        envFrom:
        - configMapRef:
            name: app-{i}-config
        resources:
          limits: {{cpu: 500m, memory: 128Mi}}
        volumeMounts:
        - name: config
          mountPath: /etc/app
      volumes:
      - name: config
        configMap:
          name: app-{i}-config
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
spec:
  selector:
    app: app-{i}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
data:
  LOG_LEVEL: info
  ENABLED: "true"
  PORT: "8080"
  config.yaml: |
    server:
      port: 8080
    features: [a, b]
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app-{i}
---
"#
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let text = stream(1000);
    let docs = krust_yaml::parse_documents(&text).expect("bench input parses");
    let values: Vec<_> = docs
        .iter()
        .map(|d| &d.value)
        .filter(|v| !v.is_null())
        .collect();
    assert_eq!(values.len(), 4000);
    let emitted = krust_yaml::documents_to_string(values.iter().copied());

    let mut group = c.benchmark_group("4000-resources");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| krust_yaml::parse_documents(black_box(&text)).unwrap())
    });
    group.throughput(Throughput::Bytes(emitted.len() as u64));
    group.bench_function("emit", |b| {
        b.iter(|| krust_yaml::documents_to_string(black_box(values.iter().copied())))
    });
    group.bench_function("parse+emit", |b| {
        b.iter(|| {
            let docs = krust_yaml::parse_documents(black_box(&text)).unwrap();
            krust_yaml::documents_to_string(docs.iter().map(|d| &d.value).filter(|v| !v.is_null()))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
