package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
)

// TestLiveGeneratedCluster reads a real kube-apiserver holding a
// generated cluster of 1,000 pods: more than one page of pods at kubectl's
// chunk size of 500, read page by page, in one request (--chunk-size 0)
// and in many small pages.
func TestLiveGeneratedCluster(t *testing.T) {
	gc := newGeneratedCluster(t, 1000)
	chunks := []int64{500, 0, 37}

	// "map -A -o json" draws the same graph as the same objects read from
	// manifests.
	t.Run("map equals the manifests' map", func(t *testing.T) {
		want := runMeasured(t, "map", "-A", "-o", "json", "-f", gc.manifests)
		t.Logf("manifests: %s", want.usage)
		for _, chunk := range chunks {
			got := runMeasured(t, "map", "-A", "-o", "json", "--kubeconfig", gc.kubeconfig, "--chunk-size", strconv.FormatInt(chunk, 10))
			t.Logf("live, --chunk-size %d: %s", chunk, got.usage)
			if err := sameGraph(want.stdout, got.stdout); err != nil {
				t.Errorf("--chunk-size %d: live map differs from the manifests' map: %v", chunk, err)
			}
		}
	})

	// What a read keeps is what verdicts need: the decoded pages (whole
	// pods, with status, managed fields, container specs) are not held, at
	// any page size. Of the kinds read, a pod trimmed keeps about a third
	// of its decoded weight and a workload about half: everything Read
	// returns weighs less than three quarters of those lists as decoded.
	// A read that held its pages would keep them and the copies.
	t.Run("read keeps no decoded page", func(t *testing.T) {
		ctx := context.Background()
		client, err := load.NewClient(gc.config)
		if err != nil {
			t.Fatal(err)
		}
		all := metav1.ListOptions{}
		decoded := retainedHeap(func() any {
			core, apps, net := client.CoreV1(), client.AppsV1(), client.NetworkingV1()
			var lists []any
			for _, list := range []func() (any, error){
				func() (any, error) { return core.Namespaces().List(ctx, all) },
				func() (any, error) { return core.Pods("").List(ctx, all) },
				func() (any, error) { return net.NetworkPolicies("").List(ctx, all) },
				func() (any, error) { return core.Services("").List(ctx, all) },
				func() (any, error) { return apps.ReplicaSets("").List(ctx, all) },
				func() (any, error) { return apps.Deployments("").List(ctx, all) },
				func() (any, error) { return apps.StatefulSets("").List(ctx, all) },
				func() (any, error) { return apps.DaemonSets("").List(ctx, all) },
			} {
				l, err := list()
				if err != nil {
					t.Fatal(err)
				}
				lists = append(lists, l)
			}
			return lists
		})
		for _, chunk := range chunks {
			read := retainedHeap(func() any {
				objs, _, err := (&load.Cluster{Client: client, ChunkSize: chunk}).Read(ctx, load.Scope{AllNamespaces: true})
				if err != nil {
					t.Fatal(err)
				}
				return objs
			})
			t.Logf("--chunk-size %d: Read keeps %d KiB; the lists as decoded are %d KiB", chunk, read>>10, decoded>>10)
			if read > decoded*3/4 {
				t.Errorf("--chunk-size %d: Read keeps %d KiB, more than three quarters of the lists as decoded (%d KiB)", chunk, read>>10, decoded>>10)
			}
		}
	})
}

// retainedHeap is how much heap what f returns keeps alive: the heap in
// use after f and a collection, less the heap in use before.
func retainedHeap(f func() any) uint64 {
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	v := f()
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	goruntime.KeepAlive(v)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}

// BenchmarkLiveMap measures whole "map -A -o json" processes against a
// real kube-apiserver holding a generated cluster of NETPOL_LIVE_PODS pods
// (default 1,000; make bench-live runs 20,000), with kubectl's chunk size
// and with every list in one request: wall time, CPU and peak RSS of the
// process. The seeding time is logged. Each run's graph is checked
// against the map of the same objects from manifests.
func BenchmarkLiveMap(b *testing.B) {
	pods := 1000
	if s := os.Getenv("NETPOL_LIVE_PODS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("NETPOL_LIVE_PODS=%q: want a number of pods", s)
		}
		pods = n
	}
	gc := newGeneratedCluster(b, pods)
	want := runMeasured(b, "map", "-A", "-o", "json", "-f", gc.manifests)
	for _, chunk := range []string{"500", "0"} {
		b.Run("chunk="+chunk, func(b *testing.B) {
			var last measuredRun
			for b.Loop() {
				last = runMeasured(b, "map", "-A", "-o", "json", "--kubeconfig", gc.kubeconfig, "--chunk-size", chunk)
			}
			if err := sameGraph(want.stdout, last.stdout); err != nil {
				b.Errorf("live map differs from the manifests' map: %v", err)
			}
			b.ReportMetric(last.usage.wall.Seconds(), "wall-s")
			b.ReportMetric(last.usage.cpu.Seconds(), "cpu-s")
			b.ReportMetric(float64(last.usage.maxRSS)/(1<<20), "peak-RSS-MiB")
			// A parent benchmark's log is not printed: the seeding and
			// the manifests' run are told here.
			b.Logf("%d pods live, --chunk-size %s: %s (seeded in %s; from manifests: %s)",
				pods, chunk, last.usage, gc.seeded.Round(time.Millisecond), want.usage)
		})
	}
}

// usage is what one process cost.
type usage struct {
	wall, cpu time.Duration
	maxRSS    int64 // bytes
}

func (u usage) String() string {
	return fmt.Sprintf("wall %s, CPU %s, peak RSS %d MiB", u.wall.Round(time.Millisecond), u.cpu.Round(time.Millisecond), u.maxRSS>>20)
}

type measuredRun struct {
	stdout []byte
	usage  usage
}

// runMeasured runs the built kubectl-netpol, which must exit 0, under
// the rusage helper (see internal/rusage for why not directly) and
// returns its output, wall time, user+system CPU and peak RSS.
func runMeasured(tb testing.TB, args ...string) measuredRun {
	tb.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(rusageBinary, append([]string{binary}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "KUBECONFIG=/nonexistent")
	cmd.ExtraFiles = []*os.File{w} // file descriptor 3
	err = cmd.Run()
	w.Close()
	if err != nil {
		tb.Fatalf("kubectl-netpol %v: %v\n%s", args, err, errOut.Bytes())
	}
	var u struct {
		Wall, CPU time.Duration
		MaxRSS    int64
	}
	if err := json.NewDecoder(r).Decode(&u); err != nil {
		tb.Fatalf("kubectl-netpol %v: no usage from rusage: %v\n%s", args, err, errOut.Bytes())
	}
	return measuredRun{stdout: out.Bytes(), usage: usage{wall: u.Wall, cpu: u.CPU, maxRSS: u.MaxRSS}}
}

// sameGraph compares two "map -o json" documents: every field byte for
// byte except "profile", which says where the network plugin's profile
// came from (the default for manifests; none found on a cluster without a
// network plugin) and so differs between a live read and -f by design.
// The profile's name (the semantics the map was judged by) must agree.
func sameGraph(want, got []byte) error {
	var w, g map[string]json.RawMessage
	if err := json.Unmarshal(want, &w); err != nil {
		return fmt.Errorf("manifests' map is not JSON: %w", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Errorf("live map is not JSON: %w", err)
	}
	var wp, gp struct {
		Name string `json:"name"`
	}
	if err := errors.Join(json.Unmarshal(w["profile"], &wp), json.Unmarshal(g["profile"], &gp)); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if wp.Name != gp.Name {
		return fmt.Errorf("judged by profile %q live, %q from manifests", gp.Name, wp.Name)
	}
	var nodes []json.RawMessage
	if err := json.Unmarshal(w["nodes"], &nodes); err != nil || len(nodes) == 0 {
		return fmt.Errorf("the manifests' map has no nodes (%v): nothing compared", err)
	}
	delete(w, "profile")
	delete(g, "profile")
	for k := range g {
		if _, ok := w[k]; !ok {
			return fmt.Errorf("live map has %q, the manifests' map does not", k)
		}
	}
	for k, wv := range w {
		gv, ok := g[k]
		if !ok {
			return fmt.Errorf("live map lacks %q", k)
		}
		if !bytes.Equal(wv, gv) {
			return fmt.Errorf("%q differs: %s", k, firstDifference(wv, gv))
		}
	}
	return nil
}

// firstDifference shows where two byte strings part, with some context.
func firstDifference(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-200)
	cut := func(b []byte) []byte { return b[from:min(len(b), i+200)] }
	return fmt.Sprintf("at byte %d (of %d manifests, %d live)\nmanifests: …%s…\nlive:      …%s…", i, len(want), len(got), cut(want), cut(got))
}
