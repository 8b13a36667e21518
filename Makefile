# kubectl netpol — build, test and benchmark targets. Needs only Go.
GO      ?= go
BIN     ?= bin/kubectl-netpol
LDFLAGS := -s -w

.PHONY: all build test vet fmt-check differential e2e k8s-bins fuzz bench example clean

all: build test

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kubectl-netpol

# The whole test suite: unit, golden and command tests, then the
# differential test against kube-network-policies (a separate module).
test:
	$(GO) test ./...
	$(MAKE) differential

differential:
	cd test/differential && $(GO) test ./... -count=1

# End-to-end tests against a real kube-apiserver and etcd on 127.0.0.1,
# built from the Go module proxy by .ci/k8s-bins.sh (cached after the first,
# ~20 minute, build).
e2e:
	bins=$$(bash .ci/k8s-bins.sh) && \
	cd test/e2e && \
	TEST_ASSET_KUBE_APISERVER=$$bins/kube-apiserver TEST_ASSET_ETCD=$$bins/etcd TEST_ASSET_KUBECTL=$$bins/kubectl \
	$(GO) test ./... -count=1 -v

k8s-bins:
	bash .ci/k8s-bins.sh

vet:
	$(GO) vet ./...
	cd test/differential && $(GO) vet ./...
	cd test/e2e && $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Short fuzzing runs of the query parser and the manifest loader.
fuzz:
	$(GO) test ./query/ -run '^$$' -fuzz FuzzParseFlow -fuzztime 30s
	$(GO) test ./plugin/load/ -run '^$$' -fuzz FuzzManifests -fuzztime 30s

bench:
	$(GO) test ./... -run '^$$' -bench . -benchmem

# The main job on the bundled example.
example:
	$(GO) run ./cmd/kubectl-netpol can api db:3306 -f testdata/three-tier/

clean:
	rm -rf bin dist
