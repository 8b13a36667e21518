#!/usr/bin/env bash
# Build the Cilium verdict oracle used by the Cilium differential test
# (test/ciliumdiff): a small binary over Cilium's own policy engine,
# github.com/cilium/cilium v1.20.2, from the pinned module in
# .ci/cilium-oracle (go.mod + go.sum), with nothing but a Go toolchain
# and the Go module proxy.
#
# The binary lands in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netpol/cilium-oracle/<key>/cilium-oracle
# where <key> is the first 16 hex digits of a sha256 over the module's
# files (go.mod, go.sum, *.go), this script, and the Go
# version/GOOS/GOARCH. If the binary is already there, nothing is built.
# A cold build (empty Go build cache, modules downloaded) takes ~5 min on
# 2 cores; a cached run takes a second.
#
# Progress goes to stderr. stdout gets only:
#   bash .ci/cilium-oracle.sh          the binary's path (one line)
#   bash .ci/cilium-oracle.sh --env    CILIUM_ORACLE=<path>, for
#       export $(bash .ci/cilium-oracle.sh --env)
set -euo pipefail

mode=path
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
mod=$(dirname "$script")/cilium-oracle

log() { printf '[cilium-oracle %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

command -v go >/dev/null || { log "go not found on PATH"; exit 1; }
[[ -f $mod/go.mod && -f $mod/go.sum ]] || { log "missing $mod/go.mod or go.sum"; exit 1; }

# The oracle is its own module: never let a go.work or the product's
# module take part. A static binary. GOFLAGS from the caller (e.g.
# -buildvcs=false) is kept as is; the flags below are on the command line
# and so take precedence over it.
export GOWORK=off CGO_ENABLED=0

# Cache key.
key=$(
	cd "$mod"
	{
		find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum
		sha256sum <"$script"
		go env GOVERSION GOOS GOARCH
	} | sha256sum | cut -c1-16
)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netpol/cilium-oracle
out=$cache_root/$key
bin=$out/cilium-oracle

# check: a cheap guard against a corrupt or mislabelled cache: the
# version linked in, and the answer to an empty scenario.
check() {
	local v
	v=$("$bin" -version) && [[ $v == "cilium v1.20.2" ]] || { log "cilium-oracle -version: $v"; return 1; }
	v=$(echo '{"namespaces":[],"pods":[],"flows":[]}' | "$bin") &&
		[[ $v == '{"identities":[],"policies":[],"flows":[]}' ]] || { log "cilium-oracle on an empty scenario: $v"; return 1; }
}

emit() {
	if [[ $mode == env ]]; then
		printf '%s\n' "CILIUM_ORACLE=$bin"
	else
		printf '%s\n' "$bin"
	fi
}

if [[ -x $bin ]]; then
	check || { log "the cache at $out looks broken: remove it and rerun"; exit 1; }
	log "cached: $bin"
	emit
	exit 0
fi

mkdir -p "$out"
log "building into $out ($(go env GOVERSION), GOFLAGS='$(go env GOFLAGS)')"

# Build into a temporary file and rename, so an interrupted build never
# leaves a binary that looks complete.
start=$SECONDS
tmp=$out/.cilium-oracle.tmp.$$
log "go build ./.ci/cilium-oracle (github.com/cilium/cilium v1.20.2) ..."
if ! go -C "$mod" build -mod=readonly -trimpath -ldflags "-s -w" -o "$tmp" .; then
	rm -f "$tmp"
	log "build FAILED"
	exit 1
fi
mv -f "$tmp" "$bin"
log "done in $((SECONDS - start))s, $(du -h "$bin" | cut -f1)"

check
emit
