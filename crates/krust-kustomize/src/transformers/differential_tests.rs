//! Differential tests: small kustomization trees built by this module's transformers (through
//! the test-only builder in `conformance_tests`) and by `kubectl.1.33 kustomize` (kustomize
//! v5.6.0), compared object by object. Skipped, with a printed reason, when the binary is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::conformance_tests::mini_build;

/// Writes `=== path` separated files under a fresh temporary directory.
fn write_tree(name: &str, spec: &str) -> PathBuf {
    let root =
        std::env::temp_dir().join(format!("krust-transformers-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut current: Option<(PathBuf, String)> = None;
    let flush = |cur: &mut Option<(PathBuf, String)>| {
        if let Some((p, text)) = cur.take() {
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).expect("create fixture dir");
            }
            std::fs::write(&p, text).expect("write fixture");
        }
    };
    for line in spec.lines() {
        if let Some(path) = line.strip_prefix("=== ") {
            flush(&mut current);
            current = Some((root.join(path.trim()), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    flush(&mut current);
    root
}

fn kubectl(dir: &Path) -> Option<Result<String, String>> {
    let out = Command::new("kubectl.1.33")
        .arg("kustomize")
        .arg(dir)
        .output()
        .ok()?;
    Some(if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

/// Splits a build output into documents (kubectl sorts legacy-style unless `sortOptions: fifo`;
/// the fixtures ask for fifo, and documents are compared as a sorted list to be safe).
fn docs(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.split("\n---\n").map(|d| d.trim().to_string()).collect();
    v.sort();
    v
}

fn check(name: &str, spec: &str) {
    check_in(name, spec, "");
}

/// Builds `subdir` of the fixture with both tools and compares; both failing is accepted only
/// for fixtures whose name ends in `-err`.
fn check_in(name: &str, spec: &str, subdir: &str) {
    let root = write_tree(name, spec);
    let dir = root.join(subdir);
    let Some(want) = kubectl(&dir) else {
        eprintln!("kubectl.1.33 not found; differential test {name} skipped");
        return;
    };
    let got = mini_build(&dir);
    match (want, got) {
        (Ok(w), Ok(g)) => assert_eq!(
            docs(&g),
            docs(&w),
            "{name}: krust (left) vs kustomize (right)"
        ),
        (Err(w), Err(g)) => {
            assert!(
                name.ends_with("-err"),
                "{name}: both fail\n  kustomize: {w}\n  krust: {g}"
            );
            eprintln!("{name}: both fail\n  kustomize: {w}\n  krust: {g}");
        }
        (Ok(w), Err(g)) => panic!("{name}: krust failed ({g}) but kustomize printed\n{w}"),
        (Err(w), Ok(g)) => panic!("{name}: kustomize failed ({w}) but krust printed\n{g}"),
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn namespace_prefix_and_references() {
    check(
        "refs",
        r#"=== kustomization.yaml
namespace: foo
namePrefix: p-
nameSuffix: -s
sortOptions:
  order: fifo
resources:
- r.yaml
=== r.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: v1
kind: Secret
metadata:
  name: sec
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pvc
spec:
  storageClassName: fast
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
---
apiVersion: v1
kind: Service
metadata:
  name: svc
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      serviceAccountName: sa
      priorityClassName: high
      imagePullSecrets:
      - name: sec
      containers:
      - name: c
        image: nginx
        envFrom:
        - configMapRef:
            name: cm
        - secretRef:
            name: sec
        env:
        - name: X
          valueFrom:
            configMapKeyRef:
              name: cm
              key: k
        - name: Y
          valueFrom:
            secretKeyRef:
              name: unknown
              key: k
      volumes:
      - name: v
        configMap:
          name: cm
      - name: p
        persistentVolumeClaim:
          claimName: pvc
      - name: pr
        projected:
          sources:
          - secret:
              name: sec
          - configMap:
              name: cm
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: hpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: d
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing
  annotations:
    nginx.ingress.kubernetes.io/auth-secret: sec
spec:
  ingressClassName: nginx
  tls:
  - secretName: sec
  defaultBackend:
    service:
      name: svc
  rules:
  - http:
      paths:
      - backend:
          service:
            name: svc
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ss
spec:
  serviceName: svc
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      storageClassName: fast
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: role
rules:
- resources: [configmaps]
  resourceNames: [cm, other]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: role
subjects:
- kind: ServiceAccount
  name: sa
- kind: ServiceAccount
  name: default
- kind: User
  name: sa
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cr
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cr
subjects:
- kind: ServiceAccount
  name: sa
  namespace: elsewhere
- kind: ServiceAccount
  name: sa
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vwc
webhooks:
- name: w.example.com
  clientConfig:
    service:
      name: svc
      namespace: default
"#,
    );
}

#[test]
fn overlay_over_prefixed_base() {
    check_in(
        "overlay",
        r#"=== base/kustomization.yaml
namePrefix: b-
commonLabels:
  app: web
resources:
- r.yaml
=== base/r.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  replicas: 1
  template:
    metadata:
      labels:
        tier: x
    spec:
      containers:
      - name: c
        image: nginx:1.7@sha256:aaaa
      initContainers:
      - name: i
        image: busybox
      volumes:
      - name: v
        configMap:
          name: cm
=== overlay/kustomization.yaml
namespace: prod
namePrefix: o-
sortOptions:
  order: fifo
commonAnnotations:
  owner: team
  num: "1"
labels:
- pairs:
    env: prod
  includeTemplates: true
- pairs:
    sel: "yes"
  includeSelectors: true
- pairs:
    custom: "1"
  fields:
  - path: spec/custom/labels
    kind: Deployment
    create: true
images:
- name: nginx
  newName: registry.example.com/nginx
  newTag: "1.9"
- name: busybox
  digest: sha256:bbbb
replicas:
- name: b-d
  count: 3
resources:
- ../base
"#,
        "overlay",
    );
}

#[test]
fn same_names_in_two_bases() {
    check(
        "twobases",
        r#"=== a/kustomization.yaml
namePrefix: a-
resources:
- ../common
=== b/kustomization.yaml
namePrefix: b-
resources:
- ../common
=== common/kustomization.yaml
resources:
- r.yaml
=== common/r.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: v1
kind: Pod
metadata:
  name: pod
spec:
  containers:
  - name: c
    image: x
    envFrom:
    - configMapRef:
        name: cm
=== kustomization.yaml
sortOptions:
  order: fifo
resources:
- a
- b
"#,
    );
}

#[test]
fn namespaced_service_accounts_in_cluster_role_binding() {
    check(
        "sa-ns",
        r#"=== kustomization.yaml
namePrefix: x-
sortOptions:
  order: fifo
resources:
- r.yaml
=== r.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
  namespace: a
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
  namespace: b
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- kind: ServiceAccount
  name: sa
  namespace: a
- kind: ServiceAccount
  name: sa
  namespace: b
"#,
    );
}

#[test]
fn nulls_on_the_way() {
    check(
        "nulls",
        r#"=== kustomization.yaml
sortOptions:
  order: fifo
commonLabels:
  a: b
images:
- name: nginx
  newTag: "2"
replicas:
- name: d
  count: 2
namePrefix: p-
resources:
- r.yaml
=== r.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  labels: null
spec:
  selector: null
  template:
    metadata: null
    spec:
      containers: null
---
apiVersion: v1
kind: Service
metadata:
  name: s
spec:
  selector: null
---
apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  selector:
    matchLabels: null
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers: null
  initContainers:
  - name: x
    image: null
"#,
    );
}

/// A kind-specific `metadata/name` spec in `configurations:` replaces the default one.
#[test]
fn kind_specific_name_prefix_config() {
    check(
        "prefixconfig",
        r#"=== kustomization.yaml
namePrefix: p-
sortOptions:
  order: fifo
configurations:
- c.yaml
resources:
- r.yaml
=== c.yaml
namePrefix:
- path: metadata/name
  kind: Foo
nameReference:
- kind: Foo
  fieldSpecs:
  - path: spec/fooRef
    kind: ConfigMap
=== r.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
spec:
  fooRef: foo
---
apiVersion: x/v1
kind: Foo
metadata:
  name: foo
"#,
    );
}

/// Image names are regular expressions in kustomize. (An invalid pattern such as `[` crashes
/// kustomize v5.6.0; newer kustomize matches nothing, see corpus case
/// TestTransfomersImageInvalidNameRegexp.)
#[test]
fn image_names_are_patterns() {
    check(
        "imgregex",
        r#"=== kustomization.yaml
sortOptions:
  order: fifo
images:
- name: my.registry/app
  newTag: "2"
- name: ngin.*
  newName: mirror/nginx
resources:
- r.yaml
=== r.yaml
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: a
    image: myxregistry/app:1
  - name: b
    image: nginx-extra@sha256:abcd
  - name: c
    image: my.registry/app
"#,
    );
}

/// Same names in several namespaces, roleRef kinds, webhook services and cluster-scoped targets.
#[test]
fn namespaces_and_role_refs() {
    check(
        "nsroles",
        r#"=== kustomization.yaml
sortOptions:
  order: fifo
resources:
- app
- sys
=== app/kustomization.yaml
namespace: app
namePrefix: a-
resources:
- ../common
=== sys/kustomization.yaml
namespace: sys
namePrefix: s-
resources:
- ../common
- cluster.yaml
=== sys/cluster.yaml
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules:
- resources: [persistentvolumes]
  resourceNames: [pv]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: reader
subjects:
- kind: ServiceAccount
  name: sa
  namespace: sys
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: hook
webhooks:
- name: h.example.com
  clientConfig:
    service:
      name: svc
      namespace: sys
=== common/kustomization.yaml
resources:
- r.yaml
=== common/r.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: v1
kind: Service
metadata:
  name: svc
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: claim
spec:
  volumeName: pv
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
subjects:
- kind: ServiceAccount
  name: sa
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      serviceAccountName: sa
      volumes:
      - name: data
        persistentVolumeClaim:
          claimName: claim
"#,
    );
}

/// kustomize drops its own bookkeeping and the kio path/index/id annotations (legacy forms too)
/// but keeps other `internal.config.kubernetes.io/` keys and stringifies the rest.
#[test]
fn build_annotations_are_removed() {
    check(
        "buildanno",
        r#"=== kustomization.yaml
namePrefix: p-
resources:
- r.yaml
=== r.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  annotations:
    config.kubernetes.io/path: x
    config.kubernetes.io/index: "3"
    config.k8s.io/id: "1"
    internal.config.kubernetes.io/foo: bar
    flag: true
    port: 8080
"#,
    );
}

/// With a base, a kind-specific `metadata/name` spec is added next to the default one: a Foo is
/// prefixed twice (kubectl.1.33: `p-p-foo`).
#[test]
fn kind_specific_name_prefix_config_over_a_base() {
    check_in(
        "prefixconfigbase",
        r#"=== base/kustomization.yaml
resources:
- r.yaml
=== base/r.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: x/v1
kind: Foo
metadata:
  name: foo
=== overlay/kustomization.yaml
namePrefix: p-
sortOptions:
  order: fifo
configurations:
- c.yaml
resources:
- ../base
=== overlay/c.yaml
namePrefix:
- path: metadata/name
  kind: Foo
"#,
        "overlay",
    );
}

/// kustomize knows cluster scope by apiVersion and kind from its v1.21.2 schema: newer
/// cluster-scoped kinds and other versions get a namespace.
#[test]
fn cluster_scope_is_per_api_version() {
    check(
        "scope",
        r#"=== kustomization.yaml
namespace: foo
sortOptions:
  order: fifo
resources:
- r.yaml
=== r.yaml
apiVersion: resource.k8s.io/v1beta1
kind: DeviceClass
metadata:
  name: dc
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv
---
apiVersion: storage.k8s.io/v1beta1
kind: VolumeAttributesClass
metadata:
  name: vac
---
apiVersion: rbac.authorization.k8s.io/v1alpha1
kind: ClusterRole
metadata:
  name: cr
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cr
"#,
    );
}
