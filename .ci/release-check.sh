#!/usr/bin/env bash
# Release dry run: everything a tagged release does except publishing, then
# an install through Krew, with nothing but Go and the Go module proxy.
#
#   1. goreleaser check, then goreleaser release --snapshot --clean
#      --skip=publish (archives, checksums.txt and metadata into dist/)
#   2. every archive holds exactly the binary and LICENSE; checksums match
#   3. krew/netpol.yaml rendered for those archives into dist/netpol.yaml
#      (.ci/krew-manifest.sh) and checked with validate-krew-manifest
#   4. kubectl krew install --manifest --archive for every platform of the
#      manifest (KREW_OS/KREW_ARCH, as validate-krew-manifest does without
#      -skip-install, but from the local archives)
#   5. a real install for this machine, then through kubectl:
#      kubectl netpol version (must be the snapshot's version) and
#      completion through the kubectl_complete-netpol shim
#
# Tools are built once with "go install" and cached in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netpol/tools/<tool>-<version>/
# kubectl comes from .ci/k8s-bins.sh (cached; set KUBECTL to use another).
# Needs a git checkout (goreleaser reads the commit; no tag needed).
# Idempotent: dist/ is rebuilt from scratch on every run.
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER_VERSION=${GORELEASER_VERSION:-v2.15.4}
KREW_VERSION=${KREW_VERSION:-v0.4.4}
tools=${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-netpol/tools
dist=dist

log() { printf '[release-check %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
	log "FAILED: $*"
	exit 1
}
step() {
	log "--- $* (at ${SECONDS}s)"
}

# tool DIR PACKAGE@VERSION...: go install the packages into DIR once; an
# interrupted install never leaves a DIR that looks complete.
tool() {
	local dir=$1 start=$SECONDS
	shift
	if [[ -d $dir ]]; then
		log "cached: $dir"
		return
	fi
	log "go install $* ..."
	rm -rf "$dir.tmp.$$"
	mkdir -p "$dir.tmp.$$"
	if ! GOBIN=$dir.tmp.$$ GOWORK=off go install "$@"; then
		rm -rf "$dir.tmp.$$"
		die "go install $*"
	fi
	mv "$dir.tmp.$$" "$dir"
	log "installed into $dir in $((SECONDS - start))s"
}

command -v go >/dev/null || die "go not found on PATH"
git rev-parse --git-dir >/dev/null 2>&1 || die "not a git checkout: goreleaser needs one"

step "tools"
gr_dir=$tools/goreleaser-$GORELEASER_VERSION
krew_dir=$tools/krew-$KREW_VERSION
tool "$gr_dir" "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
tool "$krew_dir" "sigs.k8s.io/krew/cmd/krew@$KREW_VERSION" "sigs.k8s.io/krew/cmd/validate-krew-manifest@$KREW_VERSION"
# kubectl finds plugins by name on PATH: "kubectl krew" runs kubectl-krew.
ln -sf krew "$krew_dir/kubectl-krew"
goreleaser=$gr_dir/goreleaser
"$goreleaser" --version | grep -E '^GitVersion:' >&2 || true

step "goreleaser check"
"$goreleaser" check

step "goreleaser release --snapshot --clean --skip=publish"
# goreleaser drops all git information (commit "none") when the checkout has
# no remote; lend it one, for this command only, without touching .git/config.
gitenv=()
if [[ -z $(git remote) ]]; then
	gitenv=(GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url
		GIT_CONFIG_VALUE_0=https://github.com/kubectl-netpol/kubectl-netpol.git)
fi
start=$SECONDS
env "${gitenv[@]}" "$goreleaser" release --snapshot --clean --skip=publish
log "snapshot built in $((SECONDS - start))s"

tag=$(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$dist/metadata.json" | head -n1)
version=v$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dist/metadata.json" | head -n1)
[[ -n $tag && $version != v ]] || die "no tag or version in $dist/metadata.json"
commit=$(git rev-parse HEAD)
log "tag $tag, version $version, commit $commit"

step "archives"
platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64)
archive_of() { # OS ARCH
	local ext=tar.gz
	[[ $1 == windows ]] && ext=zip
	echo "kubectl-netpol_${tag}_$1_$2.$ext"
}
for p in "${platforms[@]}"; do
	os=${p%/*} arch=${p#*/}
	a=$dist/$(archive_of "$os" "$arch")
	[[ -f $a ]] || die "missing archive $a"
	bin=kubectl-netpol
	[[ $os == windows ]] && bin=kubectl-netpol.exe
	case $a in
	*.tar.gz) entries=$(tar -tzf "$a" | LC_ALL=C sort | tr '\n' ' ') ;;
	*.zip)
		if ! command -v unzip >/dev/null; then
			log "$a: unzip not installed, contents not listed (Krew still installs it below)"
			continue
		fi
		entries=$(unzip -Z1 "$a" | LC_ALL=C sort | tr '\n' ' ')
		;;
	esac
	want=$(printf '%s\n' LICENSE "$bin" | LC_ALL=C sort | tr '\n' ' ')
	[[ $entries == "$want" ]] || die "$a holds '$entries', want '$want'"
	log "$(du -h "$a" | cut -f1)	$a: $entries"
done
nfiles=$(find "$dist" -maxdepth 1 -name 'kubectl-netpol_*' \( -name '*.tar.gz' -o -name '*.zip' \) | wc -l)
((nfiles == ${#platforms[@]})) || die "$nfiles archives in $dist, want ${#platforms[@]}"
if command -v sha256sum >/dev/null; then
	(cd "$dist" && sha256sum --check --strict checksums.txt) >&2 || die "checksums.txt does not match"
fi

step "krew manifest"
manifest=$(bash .ci/krew-manifest.sh krew/netpol.yaml "$dist" "$dist/netpol.yaml")
"$krew_dir/validate-krew-manifest" -manifest "$manifest" -skip-install

step "kubectl"
kubectl=${KUBECTL:-}
if [[ -z $kubectl ]]; then
	kubectl=$(bash .ci/k8s-bins.sh)/kubectl
fi
[[ -x $kubectl ]] || die "no kubectl at $kubectl"
"$kubectl" version --client >&2
# An isolated Krew root and PATH: this machine's plugins and kubeconfig play
# no part, and Krew does not look for its own updates.
krew_root=$PWD/$dist/krew
mkdir -p "$krew_root"
export KREW_NO_UPGRADE_CHECK=1 KUBECONFIG=$krew_root/no-kubeconfig
export PATH=$krew_root/bin:$krew_dir:$(dirname "$kubectl"):$PATH

step "krew install, every platform (KREW_OS/KREW_ARCH)"
for p in "${platforms[@]}"; do
	os=${p%/*} arch=${p#*/}
	root=$(mktemp -d)
	bin=kubectl-netpol
	[[ $os == windows ]] && bin=kubectl-netpol.exe
	if ! out=$(KREW_ROOT=$root KREW_OS=$os KREW_ARCH=$arch kubectl krew install --manifest="$manifest" --archive="$dist/$(archive_of "$os" "$arch")" </dev/null 2>&1); then
		printf '%s\n' "$out" >&2
		rm -rf "$root"
		die "krew install for $p"
	fi
	store=$root/store/netpol/$tag
	[[ -f $store/$bin && -f $store/LICENSE ]] || die "krew install for $p left $(ls "$store" 2>&1)"
	log "$p: installed $(ls "$store" | tr '\n' ' ')"
	rm -rf "$root"
done

step "krew install for this machine, then kubectl netpol"
goos=$(go env GOOS) goarch=$(go env GOARCH)
export KREW_ROOT=$krew_root
kubectl krew install --manifest="$manifest" --archive="$dist/$(archive_of "$goos" "$goarch")" </dev/null
kubectl plugin list 2>/dev/null || true
kubectl netpol version
got=$(kubectl netpol version -o json)
grep -q "\"version\": \"$version\"" <<<"$got" || die "kubectl netpol version says $got, want version $version"
grep -q "\"gitCommit\": \"$commit\"" <<<"$got" || die "kubectl netpol version says $got, want commit $commit"
kubectl netpol can api db:3306 -f testdata/three-tier/ >/dev/null || die "kubectl netpol can on the example"

# Completion through kubectl 1.26+: the shim on PATH, kubectl runs it.
kubectl netpol completion >"$krew_root/bin/kubectl_complete-netpol"
chmod +x "$krew_root/bin/kubectl_complete-netpol"
comps=$(kubectl __complete netpol can -f testdata/three-tier/ api db: 2>/dev/null)
printf '%s\n' "$comps"
grep -q '^db:3306' <<<"$comps" || die "kubectl __complete netpol ... offered no db:3306"

log "OK in ${SECONDS}s: $version ($tag), archives and $manifest in $dist/"
