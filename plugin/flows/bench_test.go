package flows

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// writeGenerated writes a generated Hubble recording into dir.
func writeGenerated(tb testing.TB, dir string, cfg gen.HubbleConfig) (string, gen.HubbleStats) {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("hubble-%d.json", cfg.Records))
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := gen.Hubble(f, cfg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	return path, st
}

// TestReadGenerated reads generated recordings back: the reader must count
// the records, connections, duplicates and distinct connections the
// generator says it wrote, and split the connections by verdict as it did.
func TestReadGenerated(t *testing.T) {
	for _, cfg := range []gen.HubbleConfig{
		{Cluster: gen.Config{Pods: 60, Policies: 12, Seed: 1}, Records: 5000, Seed: 1},
		{Cluster: gen.Config{Pods: 400, Policies: 80, Seed: 2}, Records: 20000, Seed: 2},
		{Cluster: gen.Config{Pods: 2000, Policies: 400, Seed: 3}, Records: 40000, Seed: 3},
	} {
		t.Run(fmt.Sprintf("pods=%d", cfg.Cluster.Pods), func(t *testing.T) {
			path, want := writeGenerated(t, t.TempDir(), cfg)
			conns, got, err := Read([]string{path}, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			byVerdict := map[query.RecordedVerdict]int{}
			for _, c := range conns {
				for v, n := range c.ByVerdict {
					byVerdict[v] += n
				}
			}
			type counts struct {
				Records, Flows, LostEvents, NotInitiating, Unjudged, Duplicates, Connections int
				Forwarded, Denied, Distinct                                                  int
				NonFlow                                                                      map[string]int
			}
			gotCounts := counts{
				got.Records, got.Flows, got.LostEvents, got.NotInitiating, got.Unjudged, got.Duplicates, got.Connections,
				byVerdict[query.RecordedForwarded], byVerdict[query.RecordedDenied], len(conns), got.NonFlow,
			}
			wantCounts := counts{
				want.Records, want.Flows, want.LostEvents, want.NotInitiating, want.Unjudged, want.Duplicates, want.Connections,
				want.Forwarded, want.Denied, want.Distinct, want.NonFlow,
			}
			if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
				t.Errorf("read counts (-generated +read):\n%s", diff)
			}
			if want.Denied == 0 || want.Duplicates == 0 || got.Bad != 0 {
				t.Errorf("a recording without drops or duplicates, or with bad records: %+v", got)
			}
		})
	}
}

// BenchmarkReadHubble reads generated Hubble recordings of a 2,000-pod
// cluster (about 2.2 KB a record, nine records a connection) and reports
// records read per second. The files are written once, before the timer.
func BenchmarkReadHubble(b *testing.B) {
	for _, records := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("records=%d", records), func(b *testing.B) {
			path, _ := writeGenerated(b, b.TempDir(), gen.HubbleConfig{
				Cluster: gen.Config{Pods: 2000, Policies: 400, Seed: 1}, Records: records, Seed: 1,
			})
			fi, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := Read([]string{path}, nil, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkDecodeHubble is the decoder alone, on one core: 20,000
// generated records decoded in place, as a worker decodes its chunk.
func BenchmarkDecodeHubble(b *testing.B) {
	var buf bytes.Buffer
	if _, err := gen.Hubble(&buf, gen.HubbleConfig{Cluster: gen.Config{Pods: 2000, Policies: 400, Seed: 1}, Records: 20_000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	bt := &batch{data: buf.Bytes(), line: 1}
	var s scanner
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		decodeBatch(&s, bt)
	}
	b.ReportMetric(20_000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
