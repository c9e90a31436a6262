//! Times parse and emit of a generated stream of 4,000 resources (a quick check outside criterion).

use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  labels: {{app: app-{i}}}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: main\n        image: registry.example.com/app:1.{i}.0\n        args: [\"--port=8080\", \"--description=a long argument that goes past the eighty column limit of go-yaml\"]\n        envFrom:\n        - configMapRef:\n            name: app-{i}-config\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{i}\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{i}-config\ndata:\n  ENABLED: \"true\"\n  config.yaml: |\n    server:\n      port: 8080\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app-{i}\n---\n"
        ));
    }
    let (mut best_parse, mut best_emit) = (std::time::Duration::MAX, std::time::Duration::MAX);
    let mut out_len = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let docs = krust_yaml::parse_documents(&text).unwrap();
        best_parse = best_parse.min(t.elapsed());
        let t = Instant::now();
        let out =
            krust_yaml::documents_to_string(docs.iter().map(|d| &d.value).filter(|v| !v.is_null()));
        best_emit = best_emit.min(t.elapsed());
        out_len = out.len();
    }
    println!(
        "{} bytes, {} resources: best of 10: parse {best_parse:?}, emit {best_emit:?} ({out_len} bytes out)",
        text.len(),
        4 * n
    );
}
