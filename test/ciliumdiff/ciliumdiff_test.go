package ciliumdiff

import (
	"flag"
	"math/rand"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

var (
	flagClusters   = flag.Int64("clusters", envInt("CILIUMDIFF_CLUSTERS", 250), "number of random clusters (env CILIUMDIFF_CLUSTERS)")
	flagFirstSeed  = flag.Int64("first-seed", envInt("CILIUMDIFF_FIRST_SEED", 1), "seed of the first cluster; cluster i uses first-seed+i (env CILIUMDIFF_FIRST_SEED)")
	flagSeed       = flag.Int64("seed", envInt("CILIUMDIFF_SEED", -1), "run only the cluster of this seed (env CILIUMDIFF_SEED)")
	flagFamily     = flag.String("family", os.Getenv("CILIUMDIFF_FAMILY"), "generate only clusters of this family: np or cilium; empty: a random family per cluster (env CILIUMDIFF_FAMILY)")
	flagPorts      = flag.Int("ports", int(envInt("CILIUMDIFF_PORTS", 3)), "random explicit-port questions per pair besides the destination's declared ports (env CILIUMDIFF_PORTS)")
	flagMaxReports = flag.Int("max-reports", int(envInt("CILIUMDIFF_MAX_REPORTS", 8)), "mismatches reported in detail, each with a shrunk reproducer (env CILIUMDIFF_MAX_REPORTS)")
	flagDump       = flag.Bool("dump", os.Getenv("CILIUMDIFF_DUMP") != "", "also log the whole cluster of each failing seed (env CILIUMDIFF_DUMP)")
	flagFiltered   = flag.Bool("filtered-labels", os.Getenv("CILIUMDIFF_FILTERED_LABELS") != "0", "also run the clusters whose pods carry labels Cilium's identity label filter drops (env CILIUMDIFF_FILTERED_LABELS=0 turns them off)")
	flagUndecided  = flag.Bool("allow-undecided", os.Getenv("CILIUMDIFF_ALLOW_UNDECIDED") != "", "count undecided engine answers without failing (env CILIUMDIFF_ALLOW_UNDECIDED)")
)

// oraclePath is the cilium-oracle binary: $CILIUM_ORACLE. Without it the
// test fails on CI and is skipped elsewhere, saying how to build it.
func oraclePath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CILIUM_ORACLE")
	switch {
	case p != "":
		return p
	case os.Getenv("CI") != "":
		t.Fatal("CILIUM_ORACLE is not set (CI is): run `export $(bash .ci/cilium-oracle.sh --env)` from the repository root first")
	default:
		t.Skip("CILIUM_ORACLE is not set: build the Cilium oracle with `export $(bash .ci/cilium-oracle.sh --env)` from the repository root (a cold build takes ~5 min on 2 cores, then it is cached)")
	}
	return ""
}

// newOracle starts the oracle for the test and stops it after.
func newOracle(t *testing.T) *oracle {
	t.Helper()
	o, err := startOracle(oraclePath(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.close)
	return o
}

type clusterResult struct {
	seed     int64
	skipped  bool // a FilteredLabels cluster, not run (-filtered-labels=false)
	cluster  Cluster
	mms      []mismatch
	stats    stats
	setupErr error
}

func checkSeed(seed int64, orc *oracle) clusterResult {
	res := clusterResult{seed: seed, cluster: Generate(rand.New(rand.NewSource(seed)), Family(*flagFamily))}
	if res.cluster.FilteredLabels && !*flagFiltered {
		res.skipped = true
		return res
	}
	ps := pairsOf(rand.New(rand.NewSource(seed)), res.cluster, *flagPorts)
	res.mms, res.stats, res.setupErr = compareCluster(res.cluster, res.cluster, ps, orc)
	sortMismatches(res.mms)
	return res
}

// firstOf is the first mismatch of kind in mms.
func firstOf(mms []mismatch, kind string) (mismatch, bool) {
	for _, m := range mms {
		if m.kind == kind {
			return m, true
		}
	}
	return mismatch{}, false
}

// TestCiliumDifferential compares the engine under the Cilium profile with
// Cilium's own policy engine on random clusters (README.md).
func TestCiliumDifferential(t *testing.T) {
	switch f := Family(*flagFamily); f {
	case "", FamilyNP, FamilyCilium:
	default:
		t.Fatalf("-family %q: want one of %v or empty", f, Families)
	}
	path := oraclePath(t)
	var seeds []int64
	if *flagSeed >= 0 {
		seeds = append(seeds, *flagSeed)
	} else {
		for i := int64(0); i < *flagClusters; i++ {
			seeds = append(seeds, *flagFirstSeed+i)
		}
	}
	start := time.Now()
	results := make([]clusterResult, len(seeds))
	workers := runtime.GOMAXPROCS(0)
	oracles := make([]*oracle, workers)
	for i := range oracles {
		o, err := startOracle(path)
		if err != nil {
			t.Fatal(err)
		}
		oracles[i] = o
		defer o.close()
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := range next {
				results[i] = checkSeed(seeds[i], oracles[w])
			}
		})
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()

	var total stats
	perFamily := map[Family]*stats{}
	clusters := map[Family]int{}
	failed, reported, skipped := 0, 0, 0
	type report struct {
		seed int64
		c    Cluster
		m    mismatch
	}
	toReport := map[string][]report{}
	for _, res := range results {
		c := res.cluster
		if res.skipped {
			skipped++
			continue
		}
		if perFamily[c.Family] == nil {
			perFamily[c.Family] = &stats{}
		}
		perFamily[c.Family].add(res.stats)
		clusters[c.Family]++
		total.add(res.stats)
		if res.setupErr != nil {
			failed++
			t.Errorf("seed %d (family %s): %v\n%s", res.seed, c.Family, res.setupErr, indent(ClusterYAML(c)))
			continue
		}
		failing := 0
		for _, m := range res.mms {
			if m.kind != kindUndecided || !*flagUndecided {
				failing++
			}
		}
		if failing == 0 {
			continue
		}
		failed++
		t.Errorf("seed %d (family %s): %d flows do not agree with Cilium (%v) (rerun: go test -run TestCiliumDifferential -count=1 -args -seed=%d -family=%s)",
			res.seed, c.Family, failing, res.stats.mismatches, res.seed, c.Family)
		if *flagDump {
			t.Logf("seed %d: cluster:\n%s", res.seed, indent(ClusterYAML(c)))
		}
		for _, kind := range []string{kindVerdict, kindHalf, kindUndecided} {
			if m, ok := firstOf(res.mms, kind); ok && (kind != kindUndecided || !*flagUndecided) {
				toReport[kind] = append(toReport[kind], report{res.seed, c, m})
			}
		}
	}
	// At most max-reports reports, one per kind and seed: verdict
	// mismatches first, then halves, then undecided answers.
	for _, kind := range []string{kindVerdict, kindHalf, kindUndecided} {
		for _, rep := range toReport[kind] {
			if reported >= *flagMaxReports {
				break
			}
			reported++
			small, sm := shrink(rep.c, rep.m, oracles[0])
			t.Errorf("seed %d: MISMATCH (%s) %s\n%s  shrunk reproducer (the same mismatch):\n  %s\n%s%s",
				rep.seed, kind, rep.m, rep.m.describe(), sm, sm.describe(), indent(ClusterYAML(small)))
		}
	}
	t.Logf("%d clusters (%d with filtered labels skipped), %d flows compared (%d allowed by Cilium), mismatching flows by kind %v, %d flows of undecided port-less answers not asked, %d clusters failing, %v",
		len(seeds), skipped, total.flows, total.allowed, total.mismatches, total.unasked, failed, time.Since(start).Round(time.Millisecond))
	if total.notModelled > 0 {
		t.Logf("  %d flows undecided only on the API server's addresses (kube-apiserver entity), which the engine does not read: not compared", total.notModelled)
	}
	for _, f := range Families {
		st := perFamily[f]
		if st == nil {
			continue
		}
		t.Logf("  family %-6s: %4d clusters, %8d flows (%d allowed by Cilium), mismatches %v", f, clusters[f], st.flows, st.allowed, st.mismatches)
		deps := sortedKeys(st.dependsOn)
		sort.SliceStable(deps, func(i, j int) bool { return st.dependsOn[deps[i]] > st.dependsOn[deps[j]] })
		for i, d := range deps {
			if i == 5 {
				t.Logf("    ... %d more reasons undecided flows depend on", len(deps)-i)
				break
			}
			t.Logf("    undecided flows depending on %q: %d", d, st.dependsOn[d])
		}
		if clusters[f] >= 10 && (st.allowed == 0 || st.allowed == st.flows) {
			t.Errorf("degenerate run of family %s: %d of %d flows allowed", f, st.allowed, st.flows)
		}
	}
	if total.flows == 0 {
		t.Error("no flow compared")
	}
}
