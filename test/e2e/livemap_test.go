package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestLiveMapMatchesManifests: "map -A -o json" read page by page from a
// real kube-apiserver holding a generated cluster of 1,000 pods (more than
// one page of pods, ReplicaSets and services at kubectl's chunk size of
// 500), and read in one request (--chunk-size 0), draws the same graph as
// the same objects read from manifests.
func TestLiveMapMatchesManifests(t *testing.T) {
	gc := newGeneratedCluster(t, 1000)
	want := runMeasured(t, "map", "-A", "-o", "json", "-f", gc.manifests)
	t.Logf("manifests: %s", want.usage)
	for _, chunk := range []string{"500", "0", "37"} {
		got := runMeasured(t, "map", "-A", "-o", "json", "--kubeconfig", gc.kubeconfig, "--chunk-size", chunk)
		t.Logf("live, --chunk-size %s: %s", chunk, got.usage)
		if err := sameGraph(want.stdout, got.stdout); err != nil {
			t.Errorf("--chunk-size %s: live map differs from the manifests' map: %v", chunk, err)
		}
	}
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
	b.Logf("%d pods seeded in %s; from manifests: %s", pods, gc.seeded.Round(time.Millisecond), want.usage)
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
			b.Logf("%d pods live, --chunk-size %s: %s", pods, chunk, last.usage)
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
