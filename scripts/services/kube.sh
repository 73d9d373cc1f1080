#!/usr/bin/env bash
# Makes the binaries of a small Kubernetes control plane available to the
# tests of runner/kubernetes (through internal/testenv), then exports (when
# sourced) and prints where the tests find them:
#
#   MASTRA_ADMIN_TEST_KUBE_BIN=/var/cache/mastra-admin-test/kube/bin
#
# That directory holds kube-apiserver, kube-controller-manager and
# kube-scheduler (k8s.io/kubernetes v1.37.2), etcd (v3.6.8), kwok (v0.8.0)
# kwok-stages/ (kwok's own node and pod "fast" stages), kwok-crds/ (the
# CustomResourceDefinition of kwok's Exec, for pods/exec) and gateway-crds/
# (the standard channel's GatewayClass, Gateway and HTTPRoute
# CustomResourceDefinitions of sigs.k8s.io/gateway-api v1.6.3, which the
# tests install into their control plane). The tests start
# their own control plane from them, once per test package, on loopback
# ports; nothing is left running by this script.
#
# In order:
#   1. MASTRA_ADMIN_TEST_KUBECONFIG is set: the tests use that cluster;
#      nothing is built.
#   2. MASTRA_ADMIN_TEST_KUBE_BIN is set: it is checked and used as it is.
#   3. Otherwise the binaries in the cache directory are reused when each of
#      them reports the expected module version (go version -m), and built
#      from the Go module proxy when missing or of another version: the
#      Kubernetes commands through a wrapper module, generated in the cache
#      directory, that requires k8s.io/kubernetes and replaces each of its
#      staging modules (k8s.io/api, k8s.io/client-go, ...) by the same
#      v0.x release, since `go install k8s.io/kubernetes/cmd/...@v1.37.2`
#      refuses a module with replace directives; etcd the same way; kwok
#      with go install; kwok's stages and Exec CRD and the Gateway API CRDs
#      are copied from the modules (kwok's kustomize/, gateway-api's
#      config/crd/standard). Builds run under nice. Measured cold (empty module
#      and build caches) on a shared 2-core machine: 28 min of CPU (user
#      21, sys 7), 92 min of wall time under a load of about 22 from other
#      builds (etcd 8 min, kwok 15, Kubernetes 69); warm (cached binaries,
#      versions checked): under 1 s.
#      Nothing of Kubernetes' source enters the repository.
#
# Settings (environment):
#   MASTRA_ADMIN_TEST_KUBE_CACHE   cache directory (default
#                                  /var/cache/mastra-admin-test/kube, kept
#                                  between CI runs; when it cannot be
#                                  created, ${XDG_CACHE_HOME:-$HOME/.cache}/mastra-admin-test/kube)
#
# Concurrent runs share the cache: a lock file serialises the builds, and
# each binary is moved into place only once built completely.
#
# Run it (scripts/services/kube.sh) or source it from another bash script:
# sourced, it sets no shell options and leaves only the exported variable
# behind, and a failure returns non-zero instead of exiting the caller.
# Messages go to stderr, the variable to stdout.

_mastra_kube_log() { printf '== kube: %s\n' "$*" >&2; }

_MASTRA_KUBE_K8S=v1.37.2
_MASTRA_KUBE_STAGING=v0.37.2
_MASTRA_KUBE_ETCD=v3.6.8
_MASTRA_KUBE_KWOK=v0.8.0
_MASTRA_KUBE_GATEWAY=v1.6.3
_MASTRA_KUBE_GATEWAY_CRDS="gatewayclasses gateways httproutes"

# _mastra_kube_has BIN MODULE VERSION: true when the Go binary BIN was
# built with MODULE at VERSION (as the main module or a dependency).
_mastra_kube_has() {
  [ -x "$1" ] || return 1
  # (grep reads everything: with -q, go could die of SIGPIPE and fail the
  # pipeline under pipefail.)
  go version -m "$1" 2>/dev/null | grep -E "^[[:space:]]+(mod|dep)[[:space:]]+$2[[:space:]]+$3([[:space:]]|\$)" >/dev/null
}

# _mastra_kube_gateway_ok DIR: true when DIR/gateway-crds holds the
# Gateway API CRDs of the expected version.
_mastra_kube_gateway_ok() {
  local c
  [ "$(cat "$1/gateway-crds/VERSION" 2>/dev/null)" = "$_MASTRA_KUBE_GATEWAY" ] || return 1
  for c in $_MASTRA_KUBE_GATEWAY_CRDS; do
    [ -s "$1/gateway-crds/gateway.networking.k8s.io_$c.yaml" ] || return 1
  done
}

# _mastra_kube_kwok_crds_ok DIR: true when DIR/kwok-crds holds kwok's Exec
# CRD of the expected version.
_mastra_kube_kwok_crds_ok() {
  [ "$(cat "$1/kwok-crds/VERSION" 2>/dev/null)" = "$_MASTRA_KUBE_KWOK" ] && [ -s "$1/kwok-crds/kwok.x-k8s.io_execs.yaml" ]
}

# _mastra_kube_complete DIR: true when DIR holds every binary at its
# expected version, kwok's stages and the Gateway API CRDs.
_mastra_kube_complete() {
  local d=$1 b
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    _mastra_kube_has "$d/$b" k8s.io/kubernetes "$_MASTRA_KUBE_K8S" || return 1
  done
  _mastra_kube_has "$d/etcd" go.etcd.io/etcd/server/v3 "$_MASTRA_KUBE_ETCD" || return 1
  _mastra_kube_has "$d/kwok" sigs.k8s.io/kwok "$_MASTRA_KUBE_KWOK" || return 1
  [ -s "$d/kwok-stages/pod-ready.yaml" ] && [ -s "$d/kwok-stages/node-initialize.yaml" ] && _mastra_kube_kwok_crds_ok "$d" &&
    _mastra_kube_gateway_ok "$d"
}

# _mastra_kube_missing DIR: names what DIR lacks (for the messages).
_mastra_kube_missing() {
  local d=$1 b out=""
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    _mastra_kube_has "$d/$b" k8s.io/kubernetes "$_MASTRA_KUBE_K8S" || out="$out $b"
  done
  _mastra_kube_has "$d/etcd" go.etcd.io/etcd/server/v3 "$_MASTRA_KUBE_ETCD" || out="$out etcd"
  _mastra_kube_has "$d/kwok" sigs.k8s.io/kwok "$_MASTRA_KUBE_KWOK" || out="$out kwok"
  [ -s "$d/kwok-stages/pod-ready.yaml" ] || out="$out kwok-stages"
  _mastra_kube_kwok_crds_ok "$d" || out="$out kwok-crds"
  _mastra_kube_gateway_ok "$d" || out="$out gateway-crds"
  printf '%s' "${out# }"
}

# _mastra_kube_gobuild LOG DIR ARGS...: runs go (niced) in DIR, its output
# appended to LOG; on failure prints the end of LOG.
_mastra_kube_gobuild() {
  local log=$1 dir=$2; shift 2
  if ! (cd "$dir" && nice -n 10 go "$@") >>"$log" 2>&1; then
    _mastra_kube_log "go $* failed in $dir; the end of $log:"
    tail -n 30 "$log" >&2
    return 1
  fi
}

# _mastra_kube_build_kubernetes CACHE: kube-apiserver,
# kube-controller-manager and kube-scheduler into CACHE/bin.
_mastra_kube_build_kubernetes() {
  local cache=$1 src=$1/src/kubernetes log=$1/build-kubernetes.log out
  mkdir -p "$src" || return 1
  : >"$log"
  # The staging modules k8s.io/kubernetes requires as v0.0.0 and replaces
  # with ./staging/src/k8s.io/X, read from its own go.mod: each becomes the
  # published v0.x release of the same Kubernetes release.
  local mod staging
  mod=$(go mod download -json "k8s.io/kubernetes@$_MASTRA_KUBE_K8S" 2>>"$log" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p') || true
  if [ -z "$mod" ] || [ ! -s "$mod" ]; then
    _mastra_kube_log "could not download k8s.io/kubernetes@$_MASTRA_KUBE_K8S's go.mod from the module proxy (see $log)"
    return 1
  fi
  staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/[a-z0-9-]*[[:space:]]*$#\1#p' "$mod")
  if [ "$(printf '%s\n' "$staging" | grep -c .)" -lt 20 ]; then
    _mastra_kube_log "k8s.io/kubernetes@$_MASTRA_KUBE_K8S's go.mod ($mod) does not list its staging replacements as expected"
    return 1
  fi
  {
    printf '// Generated by scripts/services/kube.sh: builds Kubernetes %s commands.\n' "$_MASTRA_KUBE_K8S"
    printf 'module mastra-admin-test/kube-build\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$_MASTRA_KUBE_K8S"
    printf '%s\n' "$staging" | while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$_MASTRA_KUBE_STAGING"; done
    printf ')\n'
  } >"$src/go.mod" || return 1
  rm -f "$src/go.sum"
  out=$(mktemp -d "$cache/bin.tmp.XXXXXX") || return 1
  _mastra_kube_log "building kube-apiserver, kube-controller-manager, kube-scheduler $_MASTRA_KUBE_K8S (about 25 min cold on 2 cores; log in $log)"
  _mastra_kube_gobuild "$log" "$src" build -mod=mod -trimpath \
    -ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$_MASTRA_KUBE_K8S -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
    -o "$out/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler ||
    { rm -rf "$out"; return 1; }
  mv -f "$out"/kube-apiserver "$out"/kube-controller-manager "$out"/kube-scheduler "$cache/bin/" || return 1
  rm -rf "$out"
}

# _mastra_kube_build_etcd CACHE: etcd into CACHE/bin.
_mastra_kube_build_etcd() {
  local cache=$1 src=$1/src/etcd log=$1/build-etcd.log out
  mkdir -p "$src" || return 1
  : >"$log"
  {
    printf '// Generated by scripts/services/kube.sh: builds etcd %s.\n' "$_MASTRA_KUBE_ETCD"
    printf 'module mastra-admin-test/etcd-build\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n\nreplace (\n' "$_MASTRA_KUBE_ETCD"
    local m
    for m in go.etcd.io/etcd/api/v3 go.etcd.io/etcd/client/pkg/v3 go.etcd.io/etcd/client/v3 go.etcd.io/etcd/pkg/v3; do
      printf '\t%s => %s %s\n' "$m" "$m" "$_MASTRA_KUBE_ETCD"
    done
    printf ')\n'
  } >"$src/go.mod" || return 1
  rm -f "$src/go.sum"
  out=$(mktemp -d "$cache/bin.tmp.XXXXXX") || return 1
  _mastra_kube_log "building etcd $_MASTRA_KUBE_ETCD (about 2 min cold; log in $log)"
  _mastra_kube_gobuild "$log" "$src" build -mod=mod -trimpath -ldflags='-s -w' -o "$out/etcd" go.etcd.io/etcd/server/v3 ||
    { rm -rf "$out"; return 1; }
  mv -f "$out/etcd" "$cache/bin/etcd" || return 1
  rm -rf "$out"
}

# _mastra_kube_build_kwok CACHE: kwok and its stages into CACHE/bin.
_mastra_kube_build_kwok() {
  local cache=$1 log=$1/build-kwok.log out dir
  : >"$log"
  out=$(mktemp -d "$cache/bin.tmp.XXXXXX") || return 1
  _mastra_kube_log "building kwok $_MASTRA_KUBE_KWOK (about 4 min cold; log in $log)"
  (export GOBIN="$out" && _mastra_kube_gobuild "$log" "$cache" install -trimpath -ldflags='-s -w' \
    "sigs.k8s.io/kwok/cmd/kwok@$_MASTRA_KUBE_KWOK") || { rm -rf "$out"; return 1; }
  dir=$(go mod download -json "sigs.k8s.io/kwok@$_MASTRA_KUBE_KWOK" 2>>"$log" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
  if [ -z "$dir" ] || [ ! -d "$dir/kustomize/stage" ]; then
    _mastra_kube_log "kwok's stages (kustomize/stage in sigs.k8s.io/kwok@$_MASTRA_KUBE_KWOK) were not found (see $log)"
    rm -rf "$out"; return 1
  fi
  mkdir -p "$out/kwok-stages" || return 1
  cp "$dir"/kustomize/stage/node/fast/node-initialize.yaml \
    "$dir"/kustomize/stage/node/heartbeat/node-heartbeat.yaml \
    "$dir"/kustomize/stage/pod/fast/pod-ready.yaml \
    "$dir"/kustomize/stage/pod/fast/pod-complete.yaml \
    "$dir"/kustomize/stage/pod/fast/pod-delete.yaml "$out/kwok-stages/" || { rm -rf "$out"; return 1; }
  chmod -R u+w "$out/kwok-stages"
  rm -rf "$cache/bin/kwok-stages"
  mv -f "$out/kwok-stages" "$cache/bin/kwok-stages" && mv -f "$out/kwok" "$cache/bin/kwok" || return 1
  rm -rf "$out"
}

# _mastra_kube_fetch_files CACHE NAME MODULE VERSION SUBDIR FILE...: copies
# FILEs of SUBDIR of the Go module MODULE@VERSION (a download from the module
# proxy, no build) into CACHE/bin/NAME, with a VERSION file.
_mastra_kube_fetch_files() {
  local cache=$1 name=$2 module=$3 version=$4 sub=$5 log=$1/build-$2.log out dir f
  shift 5
  : >"$log"
  dir=$(go mod download -json "$module@$version" 2>>"$log" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
  if [ -z "$dir" ] || [ ! -d "$dir/$sub" ]; then
    _mastra_kube_log "$name ($sub in $module@$version) was not found (see $log)"
    return 1
  fi
  out=$(mktemp -d "$cache/bin.tmp.XXXXXX") || return 1
  for f in "$@"; do
    cp "$dir/$sub/$f" "$out/" || { rm -rf "$out"; return 1; }
  done
  printf '%s\n' "$version" >"$out/VERSION" && chmod -R u+w "$out" && chmod 755 "$out" || { rm -rf "$out"; return 1; }
  rm -rf "${cache:?}/bin/$name"
  mv -f "$out" "$cache/bin/$name"
}

# _mastra_kube_fetch_kwok_crds CACHE: kwok's Exec CRD into CACHE/bin/kwok-crds.
_mastra_kube_fetch_kwok_crds() {
  _mastra_kube_fetch_files "$1" kwok-crds sigs.k8s.io/kwok "$_MASTRA_KUBE_KWOK" kustomize/crd/bases kwok.x-k8s.io_execs.yaml
}

# _mastra_kube_fetch_gateway CACHE: the Gateway API CRDs into
# CACHE/bin/gateway-crds.
_mastra_kube_fetch_gateway() {
  local c files=""
  for c in $_MASTRA_KUBE_GATEWAY_CRDS; do files="$files gateway.networking.k8s.io_$c.yaml"; done
  # shellcheck disable=SC2086 # one word a file
  _mastra_kube_fetch_files "$1" gateway-crds sigs.k8s.io/gateway-api "$_MASTRA_KUBE_GATEWAY" config/crd/standard $files
}

# _mastra_kube_ensure CACHE: builds what CACHE/bin lacks, under a lock.
_mastra_kube_ensure() {
  local cache=$1
  mkdir -p "$cache/bin" || return 1
  (
    exec 9>"$cache/.lock" || exit 1
    if ! flock -n 9; then
      _mastra_kube_log "another build holds $cache/.lock: waiting for it"
      flock 9 || exit 1
    fi
    bin=$cache/bin
    _mastra_kube_complete "$bin" && exit 0
    _mastra_kube_log "building into $bin: $(_mastra_kube_missing "$bin")"
    start=$(date +%s)
    _mastra_kube_has "$bin/etcd" go.etcd.io/etcd/server/v3 "$_MASTRA_KUBE_ETCD" || _mastra_kube_build_etcd "$cache" || exit 1
    if ! _mastra_kube_has "$bin/kwok" sigs.k8s.io/kwok "$_MASTRA_KUBE_KWOK" || [ ! -s "$bin/kwok-stages/pod-ready.yaml" ]; then
      _mastra_kube_build_kwok "$cache" || exit 1
    fi
    _mastra_kube_kwok_crds_ok "$bin" || _mastra_kube_fetch_kwok_crds "$cache" || exit 1
    _mastra_kube_gateway_ok "$bin" || _mastra_kube_fetch_gateway "$cache" || exit 1
    b=
    for b in kube-apiserver kube-controller-manager kube-scheduler; do
      if ! _mastra_kube_has "$bin/$b" k8s.io/kubernetes "$_MASTRA_KUBE_K8S"; then
        _mastra_kube_build_kubernetes "$cache" || exit 1
        break
      fi
    done
    if ! _mastra_kube_complete "$bin"; then
      _mastra_kube_log "after the build, $bin still lacks: $(_mastra_kube_missing "$bin")"
      exit 1
    fi
    _mastra_kube_log "built in $(($(date +%s) - start)) s"
  )
}

_mastra_kube_main() {
  if [ -n "${MASTRA_ADMIN_TEST_KUBECONFIG:-}" ]; then
    _mastra_kube_log "MASTRA_ADMIN_TEST_KUBECONFIG is set: the tests use that cluster; nothing to build"
    printf 'MASTRA_ADMIN_TEST_KUBECONFIG=%s\n' "$MASTRA_ADMIN_TEST_KUBECONFIG"
    return 0
  fi
  if [ -n "${MASTRA_ADMIN_TEST_KUBE_BIN:-}" ]; then
    if ! _mastra_kube_complete "$MASTRA_ADMIN_TEST_KUBE_BIN"; then
      _mastra_kube_log "MASTRA_ADMIN_TEST_KUBE_BIN=$MASTRA_ADMIN_TEST_KUBE_BIN lacks (or has other versions of): $(_mastra_kube_missing "$MASTRA_ADMIN_TEST_KUBE_BIN"); unset it to build them"
      return 1
    fi
    _mastra_kube_log "MASTRA_ADMIN_TEST_KUBE_BIN is set: using it as it is"
  else
    if ! command -v go >/dev/null 2>&1 || ! command -v flock >/dev/null 2>&1; then
      _mastra_kube_log "building the control plane needs go and flock on PATH"
      return 1
    fi
    local cache=${MASTRA_ADMIN_TEST_KUBE_CACHE:-/var/cache/mastra-admin-test/kube}
    if [ -z "${MASTRA_ADMIN_TEST_KUBE_CACHE:-}" ] && ! mkdir -p "$cache" 2>/dev/null; then
      cache=${XDG_CACHE_HOME:-$HOME/.cache}/mastra-admin-test/kube
      _mastra_kube_log "/var/cache/mastra-admin-test/kube cannot be created: using $cache"
    fi
    mkdir -p "$cache" || { _mastra_kube_log "cannot create $cache"; return 1; }
    if _mastra_kube_complete "$cache/bin"; then
      _mastra_kube_log "reusing the binaries in $cache/bin (Kubernetes $_MASTRA_KUBE_K8S, etcd $_MASTRA_KUBE_ETCD, kwok $_MASTRA_KUBE_KWOK, Gateway API CRDs $_MASTRA_KUBE_GATEWAY)"
    else
      _mastra_kube_ensure "$cache" || return 1
    fi
    export MASTRA_ADMIN_TEST_KUBE_BIN="$cache/bin"
  fi
  printf 'MASTRA_ADMIN_TEST_KUBE_BIN=%s\n' "$MASTRA_ADMIN_TEST_KUBE_BIN"
}

# _mastra_kube_run runs main, then removes every function and variable of
# this file.
_mastra_kube_run() {
  local rc=0
  _mastra_kube_main || rc=$?
  unset -f _mastra_kube_log _mastra_kube_has _mastra_kube_gateway_ok _mastra_kube_kwok_crds_ok _mastra_kube_complete _mastra_kube_missing \
    _mastra_kube_gobuild _mastra_kube_build_kubernetes _mastra_kube_build_etcd _mastra_kube_build_kwok _mastra_kube_fetch_files \
    _mastra_kube_fetch_kwok_crds _mastra_kube_fetch_gateway _mastra_kube_ensure \
    _mastra_kube_main _mastra_kube_run
  unset _MASTRA_KUBE_K8S _MASTRA_KUBE_STAGING _MASTRA_KUBE_ETCD _MASTRA_KUBE_KWOK _MASTRA_KUBE_GATEWAY _MASTRA_KUBE_GATEWAY_CRDS
  return "$rc"
}

# Sourced: a failure returns 1 to the caller; run: exits 1.
_mastra_kube_run || { (return 0 2>/dev/null) && return 1; exit 1; }
