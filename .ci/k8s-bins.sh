#!/usr/bin/env bash
# Build the real Kubernetes binaries used by the end-to-end tests:
#   kube-apiserver v1.37.2, etcd v3.7.0 and kubectl v1.37.2
# from the pinned wrapper module in .ci/k8s-bins (go.mod + go.sum), with
# nothing but a Go toolchain and the Go module proxy.
#
# The binaries land in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netpol/k8s-bins/<key>/
# where <key> is the first 16 hex digits of a sha256 over the wrapper
# module's files (go.mod, go.sum, *.go), this script, and the Go
# version/GOOS/GOARCH. If all three binaries are already there, nothing
# is built. A cold build takes ~15-25 min on 2 cores; a cached run takes
# seconds.
#
# Progress goes to stderr. stdout gets only:
#   bash .ci/k8s-bins.sh          the directory (one line)
#   bash .ci/k8s-bins.sh --env    VAR=value lines for envtest:
#       KUBEBUILDER_ASSETS, TEST_ASSET_KUBE_APISERVER, TEST_ASSET_ETCD,
#       TEST_ASSET_KUBECTL; use as: export $(bash .ci/k8s-bins.sh --env)
set -euo pipefail

mode=dir
case ${1:-} in
"") ;;
--env) mode=env ;;
-h | --help)
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
	exit 0
	;;
*)
	echo "usage: $0 [--env]" >&2
	exit 2
	;;
esac

script=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
wrap=$(dirname "$script")/k8s-bins

log() { printf '[k8s-bins %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

command -v go >/dev/null || { log "go not found on PATH"; exit 1; }
[[ -f $wrap/go.mod && -f $wrap/go.sum ]] || { log "missing $wrap/go.mod or go.sum"; exit 1; }

# The wrapper is its own module: never let a go.work or the product's
# module take part. Static binaries like the upstream release builds.
# GOFLAGS from the caller (e.g. -buildvcs=false) is kept as is; the flags
# below are on the command line and so take precedence over it.
export GOWORK=off CGO_ENABLED=0

# Cache key.
key=$(
	cd "$wrap"
	{
		find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum
		sha256sum <"$script"
		go env GOVERSION GOOS GOARCH
	} | sha256sum | cut -c1-16
)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netpol/k8s-bins
out=$cache_root/$key
bins=(kube-apiserver etcd kubectl)

have_all() {
	local b
	for b in "${bins[@]}"; do [[ -x $out/$b ]] || return 1; done
}

# check_versions: a cheap guard against a corrupt or mislabelled cache.
check_versions() {
	local v
	v=$("$out/kube-apiserver" --version) && [[ $v == "Kubernetes v1.37.2" ]] || { log "kube-apiserver --version: $v"; return 1; }
	v=$("$out/etcd" --version) && [[ $v == "etcd Version: 3.7.0"* ]] || { log "etcd --version: $v"; return 1; }
	v=$("$out/kubectl" version --client) && [[ $v == "Client Version: v1.37.2"* ]] || { log "kubectl version --client: $v"; return 1; }
}

emit() {
	if [[ $mode == env ]]; then
		printf '%s\n' "KUBEBUILDER_ASSETS=$out" \
			"TEST_ASSET_KUBE_APISERVER=$out/kube-apiserver" \
			"TEST_ASSET_ETCD=$out/etcd" \
			"TEST_ASSET_KUBECTL=$out/kubectl"
	else
		printf '%s\n' "$out"
	fi
}

if have_all; then
	check_versions || { log "the cache at $out looks broken: remove it and rerun"; exit 1; }
	log "cached: $out"
	emit
	exit 0
fi

mkdir -p "$out"
log "building into $out ($(go env GOVERSION), GOFLAGS='$(go env GOFLAGS)')"

k8s_version=v1.37.2
version_ldflags="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"

# build NAME PACKAGE LDFLAGS: build into a temporary file and rename, so an
# interrupted build never leaves a binary that looks complete.
build() {
	local name=$1 pkg=$2 ldflags=$3 start tmp
	if [[ -x $out/$name ]]; then
		log "$name: already built"
		return
	fi
	start=$SECONDS
	tmp=$out/.$name.tmp.$$
	log "$name: go build $pkg ..."
	if ! go -C "$wrap" build -mod=readonly -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg"; then
		rm -f "$tmp"
		log "$name: build FAILED"
		return 1
	fi
	mv -f "$tmp" "$out/$name"
	log "$name: done in $((SECONDS - start))s, $(du -h "$out/$name" | cut -f1)"
}

total=$SECONDS
# kube-apiserver first: the longest build, and it warms the build cache
# (client-go, apimachinery, etcd client, grpc, ...) for the other two.
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$version_ldflags"
build etcd go.etcd.io/etcd/server/v3 ""
build kubectl ./kubectl "$version_ldflags"

have_all
check_versions
log "all built in $((SECONDS - total))s"
emit
