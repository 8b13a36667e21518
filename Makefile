# kubectl netpol — build, test and benchmark targets. Needs only Go.
GO      ?= go
BIN     ?= bin/kubectl-netpol
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -s -w -X github.com/kubectl-netpol/kubectl-netpol/plugin.version=$(VERSION) -X github.com/kubectl-netpol/kubectl-netpol/plugin.gitCommit=$(COMMIT)

.PHONY: elkjs all build test action-test bench-large bench-live vet fmt-check differential ciliumdiff cilium-oracle e2e k8s-bins fuzz bench example clean krew-manifest release-check

all: build test

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kubectl-netpol

# The whole test suite: unit, golden and command tests, then the
# differential tests against kube-network-policies and against Cilium's own
# policy engine (separate modules).
test:
	$(GO) test ./...
	$(MAKE) differential
	$(MAKE) ciliumdiff

differential:
	cd test/differential && $(GO) test ./... -count=1

# Cilium v1.20.2's policy engine as a binary, built from the Go module
# proxy by .ci/cilium-oracle.sh (about 5 minutes cold on 2 cores, then
# cached), and the differential test against it.
ciliumdiff:
	oracle=$$(bash .ci/cilium-oracle.sh) && \
	cd .ci/cilium-oracle && GOWORK=off CGO_ENABLED=0 $(GO) test ./... -count=1 && \
	cd ../../test/ciliumdiff && CILIUM_ORACLE=$$oracle $(GO) test ./... -count=1

cilium-oracle:
	bash .ci/cilium-oracle.sh

# End-to-end tests against a real kube-apiserver and etcd on 127.0.0.1,
# built from the Go module proxy by .ci/k8s-bins.sh (about 15-25 minutes
# cold on 2 cores, then cached).
e2e:
	bins=$$(bash .ci/k8s-bins.sh) && \
	cd test/e2e && \
	TEST_ASSET_KUBE_APISERVER=$$bins/kube-apiserver TEST_ASSET_ETCD=$$bins/etcd TEST_ASSET_KUBECTL=$$bins/kubectl \
	$(GO) test ./... -count=1 -v

k8s-bins:
	bash .ci/k8s-bins.sh

# "map -A -o json" against a real kube-apiserver seeded with a generated
# cluster of LIVE_PODS pods (default 20,000: about 6 minutes of seeding on
# 2 cores), with --chunk-size 500 and 0: wall, CPU and peak RSS of the
# process, and the map checked against the same objects' manifests.
LIVE_PODS ?= 20000
bench-live:
	bins=$$(bash .ci/k8s-bins.sh) && \
	cd test/e2e && \
	TEST_ASSET_KUBE_APISERVER=$$bins/kube-apiserver TEST_ASSET_ETCD=$$bins/etcd TEST_ASSET_KUBECTL=$$bins/kubectl \
	NETPOL_LIVE_PODS=$(LIVE_PODS) $(GO) test . -run '^$$' -bench LiveMap -benchtime 1x -count=1 -timeout 60m

# The GitHub Action's steps (action.yml) and the pre-commit hooks against a
# build of bin/kubectl-netpol; go test ./... runs them against the test
# binary.
action-test: build
	KUBECTL_NETPOL_BINARY=$(abspath $(BIN)) $(GO) test ./cmd/kubectl-netpol -run 'TestGitHubAction|TestPreCommitHooks' -count=1

vet:
	$(GO) vet ./...
	cd test/differential && $(GO) vet ./...
	cd test/ciliumdiff && $(GO) vet ./...
	cd test/e2e && $(GO) vet ./...
	cd .ci/cilium-oracle && GOWORK=off $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Short fuzzing runs of the query parser and the manifest loader.
fuzz:
	$(GO) test ./query/ -run '^$$' -fuzz FuzzParseFlow -fuzztime 30s
	$(GO) test ./plugin/load/ -run '^$$' -fuzz FuzzManifests -fuzztime 30s

# Benchmarks, among them "map -A -o json" from manifests on disk for
# generated clusters of 1k, 2k, 5k, 10k and 20k pods (test/gencluster writes
# such clusters for comparisons with other tools); bench-large adds 50k.
bench:
	$(GO) test ./... -run '^$$' -bench . -benchmem -benchtime 3x

# The map and diff on 20k and 50k pods (minutes, several GiB).
bench-large:
	NETPOL_BENCH_LARGE=1 $(GO) test ./plugin -run '^$$' -bench 'MapCommandLarge|DiffCommandLarge' -benchmem -benchtime 1x -timeout 60m

# The main job on the bundled example.
example:
	$(GO) run ./cmd/kubectl-netpol can api db:3306 -f testdata/three-tier/

clean:
	rm -rf bin dist

# The vendored layout engine of the HTML map: elkjs's lib/elk.bundled.js
# (EPL-2.0, notice in plugin/output/assets/elkjs-LICENSE.md), fetched once
# with npm and committed, so that builds never need npm. Bump
# ELKJS_VERSION and ELKJS_SHA256 together; the sum is that of the file.
ELKJS_VERSION ?= 0.12.1
ELKJS_SHA256  ?= b1032b7cfd2a57c54c6f0e8369d7665e19a579954f7cd20a6dae28f1912ea0d7
elkjs:
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent elkjs@$(ELKJS_VERSION) >/dev/null && \
	tar xzf elkjs-$(ELKJS_VERSION).tgz && \
	echo "$(ELKJS_SHA256)  package/lib/elk.bundled.js" | sha256sum -c - && \
	cp package/lib/elk.bundled.js $(CURDIR)/plugin/output/assets/elk.bundled.js && \
	cp package/LICENSE.md $(CURDIR)/plugin/output/assets/elkjs-LICENSE.md && \
	rm -rf $$tmp


# The Krew manifest (krew/netpol.yaml rendered as krew-release-bot does) for
# the archives of the last goreleaser build in dist/, into dist/netpol.yaml.
krew-manifest:
	bash .ci/krew-manifest.sh

# Release dry run: goreleaser check and snapshot build, archive contents,
# the Krew manifest validated and installed through kubectl for real.
# Tools are cached under ~/.cache/kubectl-netpol/tools.
release-check:
	bash .ci/release-check.sh
