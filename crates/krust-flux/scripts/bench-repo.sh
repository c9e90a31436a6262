#!/bin/sh
# Generates a Flux repository of N Kustomizations x M resources (default 100 x 40) under DIR and
# compares `krust flux build` of all of it with the sum of `kubectl.1.33 kustomize` over the same
# N directories.  Usage: bench-repo.sh DIR [N] [M] [KRUST]
set -eu
DIR=${1:?usage: bench-repo.sh DIR [N] [M] [KRUST]}
N=${2:-100}
M=${3:-40}
KRUST=${4:-krust}
rm -rf "$DIR" && mkdir -p "$DIR/clusters/bench/flux-system" "$DIR/apps"
cat > "$DIR/clusters/bench/flux-system/gotk-sync.yaml" <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  ref:
    branch: main
  url: https://github.com/example/bench
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/bench
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
YAML
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-sync.yaml\n' > "$DIR/clusters/bench/flux-system/kustomization.yaml"
cat > "$DIR/clusters/bench/settings.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  DOMAIN: example.com
YAML
i=0
while [ $i -lt $N ]; do
  app=app-$i
  d="$DIR/apps/$app"
  mkdir -p "$d"
  prev=""
  [ $i -gt 0 ] && prev="  dependsOn:
    - name: app-$((i-1))"
  cat >> "$DIR/clusters/bench/apps.yaml" <<YAML
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: $app
  namespace: flux-system
spec:
$prev
  interval: 10m
  path: ./apps/$app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
YAML
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s\ncommonLabels:\n  app.kubernetes.io/part-of: %s\nresources:\n' "$app" "$app" > "$d/kustomization.yaml"
  j=0
  while [ $j -lt $M ]; do
    case $((j % 4)) in
      0) cat > "$d/r$j.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-$j
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web-$j
  template:
    metadata:
      labels:
        app: web-$j
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env:
            - name: DOMAIN
              value: web-$j.\${DOMAIN}
          ports:
            - containerPort: 80
YAML
      ;;
      1) cat > "$d/r$j.yaml" <<YAML
apiVersion: v1
kind: Service
metadata:
  name: web-$((j-1))
spec:
  selector:
    app: web-$((j-1))
  ports:
    - port: 80
YAML
      ;;
      2) cat > "$d/r$j.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-$j
data:
  host: config-$j.\${DOMAIN}
  level: info
YAML
      ;;
      3) cat > "$d/r$j.yaml" <<YAML
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-$((j-3))
spec:
  rules:
    - host: web-$((j-3)).\${DOMAIN}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web-$((j-3))
                port:
                  number: 80
YAML
      ;;
    esac
    echo "- r$j.yaml" >> "$d/kustomization.yaml"
    j=$((j+1))
  done
  i=$((i+1))
done
now() { date +%s.%N; }
# krust: median of 5 runs (the first run of a fresh tree also pays for cold caches).
runs=""
k=0
while [ $k -lt 5 ]; do
  t0=$(now)
  "$KRUST" flux build --path "$DIR/clusters/bench" --root "$DIR" > "$DIR/krust.out"
  t1=$(now)
  runs="$runs $(echo "$t1 - $t0" | bc)"
  k=$((k+1))
done
krust_s=$(printf '%s\n' $runs | sort -n | sed -n 3p)
t1=$(now)
i=0
while [ $i -lt $N ]; do
  kubectl.1.33 kustomize "$DIR/apps/app-$i" > /dev/null 2>&1
  i=$((i+1))
done
t2=$(now)
objs=$(grep -c '^# Source: Kustomization' "$DIR/krust.out" || true)
echo "krust flux build: $krust_s s, median of 5 ($objs objects; runs:$runs)"
echo "kubectl kustomize x $N: $(echo "$t2 - $t1" | bc) s"
echo "ratio: $(echo "scale=1; ($t2 - $t1) / $krust_s" | bc)x"
