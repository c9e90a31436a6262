#!/usr/bin/env python3
"""Regenerates the differential cases of the patch module: each case is a kustomization
with resources and patches; expected.yaml / expected_error.txt come from
`kubectl.1.33 kustomize` (kustomize v5.6.0) with `sortOptions: {order: fifo}`."""
import os, subprocess, sys, shutil
ROOT=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cases')
cases = {}
def case(name, files, kust):
    cases[name] = (files, kust)

DEP = '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  labels: {app: web, tier: fe}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: a
        image: a
        args: [x, y]
        env:
        - {name: E1, value: "1"}
        - {name: E2, value: "2"}
        ports:
        - containerPort: 80
        - containerPort: 81
          protocol: UDP
        volumeMounts:
        - {name: v1, mountPath: /v1}
      - name: b
        image: b
      - name: c
        image: c
      volumes:
      - name: v1
        emptyDir: {}
      - name: v2
        configMap: {name: cm}
'''
# 1: big mixed
case('smp_mixed', {'res.yaml': DEP, 'p.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      $setElementOrder/containers:
      - name: c
      - name: a
      containers:
      - name: c
        image: c2
        $patch: replace
      - name: a
        env:
        - name: E2
          $patch: delete
        - name: E3
          value: "3"
          extra: null
        ports:
        - containerPort: 81
          protocol: UDP
          name: udp
        - containerPort: 82
        $deleteFromPrimitiveList/args: [x]
      - image: noname
      volumes:
      - name: v2
        $retainKeys: [name, secret]
        secret: {secretName: s}
      - name: v3
        newmap:
          inner: null
          keep: 1
'''}, 'patches:\n- path: p.yaml\n')
case('smp_order', {'res.yaml': DEP, 'p.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  replicas: null
  template:
    spec:
      containers:
      - name: b
        image: b2
      - name: new
        image: n
      initContainers:
      - name: i
        image: i
'''}, 'patches:\n- path: p.yaml\n')
case('smp_ports_noproto', {'res.yaml': '''apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - {port: 80, targetPort: 8080, protocol: TCP, name: http}
  - {port: 443, targetPort: 8443, name: https}
''', 'p.yaml': '''apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - {port: 80, targetPort: 9090}
  - {port: 443, protocol: TCP, targetPort: 9443}
  - {port: 8000, name: extra}
'''}, 'patches:\n- path: p.yaml\n')
case('smp_list_delete_replace', {'res.yaml': DEP, 'p.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      containers:
      - name: a
        env:
        - $patch: replace
        - name: ONLY
          value: x
      volumes:
      - $patch: delete
'''}, 'patches:\n- path: p.yaml\n')
case('smp_map_replace', {'res.yaml': DEP, 'p.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  labels:
    $patch: replace
    only: me
spec:
  template:
    spec:
      $patch: replace
      containers:
      - name: z
        image: z
'''}, 'patches:\n- path: p.yaml\n')
case('smp_delete_resource', {'res.yaml': DEP + '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n', 'p.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
$patch: delete
'''}, 'patchesStrategicMerge:\n- p.yaml\n')
case('smp_crd_lists_replaced', {'res.yaml': '''apiVersion: example.com/v1
kind: Foo
metadata: {name: f}
spec:
  items:
  - {name: a, v: 1}
  - {name: b, v: 2}
  containers:
  - {name: a, image: a}
  tpl:
    apiVersion: apps/v1
    kind: Deployment
    spec:
      template:
        spec:
          containers:
          - {name: a, image: a}
          - {name: b, image: b}
''', 'p.yaml': '''apiVersion: example.com/v1
kind: Foo
metadata: {name: f}
spec:
  items:
  - {name: b, v: 3}
  containers:
  - {name: c, image: c}
  tpl:
    spec:
      template:
        spec:
          containers:
          - {name: b, image: b2}
'''}, 'patches:\n- path: p.yaml\n')
case('smp_primitive_merge', {'res.yaml': '''apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  finalizers: [a, b]
data: {x: "1"}
''', 'p.yaml': '''apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  finalizers: [c, a]
'''}, 'patches:\n- path: p.yaml\n')
case('smp_target_multi', {'res.yaml': DEP + '---\n' + DEP.replace('name: d\n', 'name: e\n', 1).replace('tier: fe', 'tier: be'), 'p.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: ignored
spec:
  replicas: 5
'''}, 'patches:\n- path: p.yaml\n  target:\n    kind: Deployment\n    labelSelector: "tier in (be),app"\n')
case('smp_target_name_change', {'res.yaml': DEP, 'p.yaml': '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: renamed
  namespace: other
spec:
  replicas: 5
'''}, 'patches:\n- path: p.yaml\n  target:\n    name: "d|x"\n  options:\n    allowNameChange: true\n    allowKindChange: true\n')
case('smp_target_no_change', {'res.yaml': DEP, 'p.yaml': '''apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: renamed
  namespace: other
spec:
  replicas: 5
'''}, 'patches:\n- path: p.yaml\n  target:\n    name: "d|x"\n')
case('json_ops', {'res.yaml': DEP, 'p.yaml': '''- op: add
  path: /spec/template/spec/containers/0/args/-
  value: z
- op: add
  path: /spec/template/spec/containers/1/env
  value: [{name: NN, value: v}]
- op: replace
  path: /metadata/labels/app
  value: other
- op: remove
  path: /spec/template/spec/containers/-1
- op: copy
  from: /spec/template/spec/containers/0/image
  path: /metadata/annotations
- op: move
  from: /spec/replicas
  path: /spec/minReadySeconds
- op: test
  path: /metadata/name
  value: d
- op: add
  path: /metadata/labels/a~1b
  value: slash
- op: replace
  path: /spec/newkey
  value: 1
'''}, 'patches:\n- path: p.yaml\n  target:\n    kind: Deployment\n')
case('json_inline_json', {'res.yaml': DEP}, 'patches:\n- patch: \'[{"op": "replace", "path": "/spec/replicas", "value": 3}]\'\n  target:\n    name: d\n')
case('json_err_missing', {'res.yaml': DEP}, 'patches:\n- patch: \'[{"op": "replace", "path": "/spec/nope/x", "value": 3}]\'\n  target:\n    name: d\n')
case('json_err_remove', {'res.yaml': DEP}, 'patches:\n- patch: \'[{"op": "remove", "path": "/spec/nope"}]\'\n  target:\n    name: d\n')
case('json_err_index', {'res.yaml': DEP}, 'patches:\n- patch: \'[{"op": "add", "path": "/spec/template/spec/containers/9", "value": {}}]\'\n  target:\n    name: d\n')
case('json_err_test', {'res.yaml': DEP}, 'patches:\n- patch: \'[{"op": "test", "path": "/spec/replicas", "value": 9}]\'\n  target:\n    name: d\n')
case('json_legacy', {'res.yaml': DEP, 'p.json': '[{"op": "add", "path": "/spec/paused", "value": true}]'}, 'patchesJson6902:\n- path: p.json\n  target:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: d\n')
case('err_no_target_json', {'res.yaml': DEP}, 'patches:\n- patch: \'[{"op": "replace", "path": "/spec/replicas", "value": 3}]\'\n')
case('err_smp_nomatch', {'res.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: zz}\nspec: {replicas: 2}\n'}, 'patches:\n- path: p.yaml\n')
case('err_psm_nomatch', {'res.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: zz}\nspec: {replicas: 2}\n'}, 'patchesStrategicMerge:\n- p.yaml\n')
case('err_multi_with_target', {'res.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {paused: true}\n'}, 'patches:\n- path: p.yaml\n  target: {kind: Deployment}\n')
case('err_unparseable', {'res.yaml': DEP, 'p.yaml': 'just a string\n'}, 'patches:\n- path: p.yaml\n')
case('err_unknown_strategy', {'res.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    $patch: bogus\n'}, 'patches:\n- path: p.yaml\n')
case('err_kind_mismatch', {'res.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template: [1]\n'}, 'patches:\n- path: p.yaml\n')
case('smp_multi_docs_inline', {'res.yaml': DEP + '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n'}, 'patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: d}\n    spec: {replicas: 7}\n    ---\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: cm}\n    data: {c: d}\n')
case('smp_env_valuefrom', {'res.yaml': DEP, 'p.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - name: a
        env:
        - name: E1
          value: null
          valueFrom:
            secretKeyRef: {name: s, key: k}
        volumeMounts:
        - {name: v2, mountPath: /v2}
        - {mountPath: /v1, readOnly: true}
        resources:
          limits: {cpu: "1"}
'''}, 'patches:\n- path: p.yaml\n')
case('smp_dup_keys_target', {'res.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - {name: a, image: a1}
      - {name: a, image: a2}
      - {name: b, image: b}
''', 'p.yaml': '''apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: 2
'''}, 'patches:\n- path: p.yaml\n')
case('sel_regex_ns', {'res.yaml': '''apiVersion: v1
kind: ConfigMap
metadata: {name: app-one, namespace: prod}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-two}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other-app, namespace: prod, annotations: {team: x}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: app-cr}
'''}, 'patches:\n- patch: \'[{"op": "add", "path": "/metadata/labels", "value": {"hit": "1"}}]\'\n  target:\n    name: app-.*\n    namespace: prod|default\n- patch: \'[{"op": "add", "path": "/metadata/labels", "value": {"hit": "2"}}]\'\n  target:\n    annotationSelector: team=x\n- patch: \'[{"op": "add", "path": "/metadata/labels", "value": {"hit": "3"}}]\'\n  target:\n    namespace: _non_namespaceable_\n- patch: \'[{"op": "add", "path": "/data", "value": {"v": "4"}}]\'\n  target:\n    version: v1\n    group: ""\n    labelSelector: "hit notin (2),!nope"\n')

case('smp_target_no_name', {'res.yaml': DEP}, 'patches:\n- target: {kind: Deployment}\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    spec: {replicas: 9}\n')
case('smp_target_no_name_meta', {'res.yaml': DEP}, 'patches:\n- target: {kind: Deployment}\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {labels: {x: y}}\n    spec: {replicas: 9}\n')
case('smp_namespaced_nomatch', {'res.yaml': DEP.replace('  name: d\n', '  name: d\n  namespace: prod\n', 1), 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2}\n'}, 'patches:\n- path: p.yaml\n')
case('smp_namespaced_match', {'res.yaml': DEP.replace('  name: d\n', '  name: d\n  namespace: prod\n', 1), 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: prod}\nspec: {replicas: 2}\n'}, 'patches:\n- path: p.yaml\n')
case('smp_new_subtree_directives', {'res.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n', 'p.yaml': """apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - name: a
        env:
        - {name: X, value: "1"}
        - {name: Y, $patch: delete}
        - {name: X, value: "dup"}
      - name: b
        image: null
        ports: [{containerPort: 80}, {containerPort: 80, protocol: UDP}]
"""}, 'patches:\n- path: p.yaml\n')
case('smp_pdb_v1beta1', {'res.yaml': """apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: p}
spec:
  selector:
    matchExpressions:
    - {key: a, operator: In, values: [x]}
    - {key: b, operator: Exists}
""", 'p.yaml': """apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: p}
spec:
  minAvailable: 1
  selector:
    matchExpressions:
    - {key: c, operator: Exists}
"""}, 'patches:\n- path: p.yaml\n')
case('smp_extensions_deployment', {'res.yaml': """apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - {name: a, image: a}
      - {name: b, image: b}
""", 'p.yaml': """apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - {name: b, image: b2}
"""}, 'patches:\n- path: p.yaml\n')
case('smp_service_ports_multi', {'res.yaml': """apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - {port: 53, protocol: UDP, name: dns}
  - {port: 53, protocol: TCP, name: dns-tcp}
""", 'p.yaml': """apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - {port: 53, protocol: TCP, targetPort: 5353}
  - {port: 54}
"""}, 'patches:\n- path: p.yaml\n')
case('smp_env_dupes_target', {'res.yaml': """apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - name: a
        env:
        - {name: X, value: "1"}
        - {name: X, value: "2"}
        - {name: Z, value: "3"}
""", 'p.yaml': """apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - name: a
        env:
        - {name: Z, value: "4"}
"""}, 'patches:\n- path: p.yaml\n')
case('json_on_renamed', {'res.yaml': DEP, 'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 4}\n'}, 'patches:\n- patch: \'[{"op": "replace", "path": "/metadata/name", "value": "d2"}]\'\n  target: {name: d}\n- patch: \'[{"op": "add", "path": "/metadata/labels/second", "value": "yes"}]\'\n  target: {name: d}\n- path: p.yaml\n')

case('smp_legacy_and_new_types', {'res.yaml': 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a, image: a}, {name: b, image: b}]\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  metrics:\n  - {type: Resource, resource: {name: cpu}}\n  - {type: Pods, pods: {metric: {name: x}}}\n', 'p.yaml': 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: b, image: b2}]\n', 'p2.yaml': 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  metrics:\n  - {type: Pods, pods: {metric: {name: y}}}\n'}, 'patches:\n- path: p.yaml\n- path: p2.yaml\n')

case('smp_label_values_stringified', {'res.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {keep: me}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, labels: {keep: me}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {keep: me}}\n', 'p.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {n: 1, t: true}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: null}\n', 'p2.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, labels: {n: 1, t: true}}\n'}, 'patchesStrategicMerge:\n- p.yaml\npatches:\n- path: p2.yaml\n')

shutil.rmtree(ROOT, ignore_errors=True)
for name, (files, kust) in cases.items():
    d = os.path.join(ROOT, name)
    os.makedirs(d)
    for f, t in files.items():
        open(os.path.join(d, f), 'w').write(t)
    k = 'resources:\n- res.yaml\nsortOptions:\n  order: fifo\n' + kust
    open(os.path.join(d, 'kustomization.yaml'), 'w').write(k)
    r = subprocess.run(['kubectl.1.33', 'kustomize', d], capture_output=True, text=True)
    if r.returncode == 0:
        open(os.path.join(d, 'expected.yaml'), 'w').write(r.stdout)
    else:
        msg = r.stderr.strip()
        msg = msg[msg.rfind('error: ')+7:] if 'error: ' in msg else msg
        msg = msg.splitlines()[-1].removeprefix('`: ') if msg.startswith('trouble') else msg.splitlines()[0]
        open(os.path.join(d, 'expected_error.txt'), 'w').write(msg + '\n')
        print(name, 'ERR:', msg)
