#!/usr/bin/env bash
# Render the Krew manifest template krew/netpol.yaml for the archives of a
# local goreleaser build in dist/, the way krew-release-bot renders it on a
# release:
#   {{ .TagName }}                          -> the tag goreleaser built
#                                              (dist/metadata.json)
#   {{addURIAndSha "URL" .TagName }}        -> uri: URL
#                                              sha256: <sha256 of the archive
#                                                       of that name in dist/>
# The URIs stay the release URLs (Krew accepts no file:// URI); install from
# the local archive with
#   kubectl krew install --manifest=dist/netpol.yaml --archive=dist/<archive>
# which checks the archive against the manifest's sha256.
#
#   bash .ci/krew-manifest.sh [TEMPLATE [DIST [OUT]]]
# defaults: krew/netpol.yaml dist dist/netpol.yaml (Krew wants the file named
# after the plugin). Prints OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

tmpl=${1:-krew/netpol.yaml}
dist=${2:-dist}
out=${3:-$dist/netpol.yaml}

die() { printf 'krew-manifest: %s\n' "$*" >&2; exit 1; }

sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

[[ -f $tmpl ]] || die "no template $tmpl"
[[ -f $dist/metadata.json ]] || die "no $dist/metadata.json: run goreleaser first (make snapshot)"
tag=$(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$dist/metadata.json" | head -n1)
[[ -n $tag ]] || die "no tag in $dist/metadata.json"

tagvar='{{ .TagName }}'
addre='^([[:space:]]*)\{\{[[:space:]]*addURIAndSha[[:space:]]+"([^"]+)"[[:space:]]+\.TagName[[:space:]]*\}\}[[:space:]]*$'
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
n=0
while IFS= read -r line || [[ -n $line ]]; do
	if [[ $line =~ $addre ]]; then
		indent=${BASH_REMATCH[1]}
		uri=${BASH_REMATCH[2]//"$tagvar"/$tag}
		archive=$dist/${uri##*/}
		[[ -f $archive ]] || die "$archive (named by $uri) not built"
		printf '%suri: %s\n%ssha256: %s\n' "$indent" "$uri" "$indent" "$(sha256 "$archive")"
		n=$((n + 1))
	else
		printf '%s\n' "${line//"$tagvar"/$tag}"
	fi
done <"$tmpl" >"$tmp"
if grep -n '{{' "$tmp" >&2; then
	die "template expressions left unrendered in $tmpl (above)"
fi
((n > 0)) || die "no addURIAndSha lines in $tmpl"
mv -f "$tmp" "$out"
trap - EXIT
echo "$out"
