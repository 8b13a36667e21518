package plugin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netpol/kubectl-netpol/internal/gen"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// benchSizes are the generated clusters the benchmarks run on: pods, with
// one NetworkPolicy per five pods.
var benchSizes = []int{1000, 2000, 5000, 10000}

// largeSizes are the clusters of BenchmarkMapCommandLarge: 20k pods, and
// 50k with NETPOL_BENCH_LARGE=1 (minutes and gigabytes: opt-in).
func largeSizes() []int {
	if os.Getenv("NETPOL_BENCH_LARGE") != "" {
		return []int{20000, 50000}
	}
	return []int{20000}
}

// writeCluster generates a cluster with one NetworkPolicy per five pods
// and writes it as YAML manifests.
func writeCluster(b *testing.B, pods int) string {
	return writeConfig(b, gen.Config{Pods: pods, Policies: pods / 5, Seed: 1})
}

// writeConfig generates a cluster and writes it as YAML manifests.
func writeConfig(b *testing.B, cfg gen.Config) string {
	b.Helper()
	dir := b.TempDir()
	if err := gen.WriteManifests(dir, gen.Cluster(cfg)); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkMapCommand is the whole "map -A -o json" run from manifests on
// disk: reading, evaluating and writing.
func BenchmarkMapCommand(b *testing.B) {
	for _, pods := range benchSizes {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			benchMap(b, writeCluster(b, pods))
		})
	}
}

// BenchmarkMapCommandLarge is BenchmarkMapCommand on the large clusters
// (largeSizes): with BenchmarkMapCommand, the scaling curve of the map.
func BenchmarkMapCommandLarge(b *testing.B) {
	for _, pods := range largeSizes() {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			benchMap(b, writeCluster(b, pods))
		})
	}
}

// BenchmarkDiffCommandLarge is "diff --with" a default deny of ingress in
// one application namespace on the large clusters (largeSizes), from
// manifests on disk: reading, both snapshots, the comparison and writing.
func BenchmarkDiffCommandLarge(b *testing.B) {
	for _, pods := range largeSizes() {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			objs := gen.Cluster(gen.Config{Pods: pods, Policies: pods / 5, Seed: 1})
			dir := b.TempDir()
			if err := gen.WriteManifests(dir, objs); err != nil {
				b.Fatal(err)
			}
			// The application namespace with the most pods.
			count := map[string]int{}
			ns := ""
			for _, o := range objs {
				if p, ok := o.(*corev1.Pod); ok && !slices.Contains(gen.SystemNamespaces, p.Namespace) {
					if count[p.Namespace]++; count[p.Namespace] > count[ns] {
						ns = p.Namespace
					}
				}
			}
			deny := filepath.Join(b.TempDir(), "deny.yaml")
			text := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny-all, namespace: " + ns +
				"}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n"
			if err := os.WriteFile(deny, []byte(text), 0o600); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				cmd := NewCmdNetpol(genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard})
				cmd.SetArgs([]string{"diff", "-f", dir, "--with", deny})
				if err := cmd.Execute(); !errors.Is(err, ErrNo) {
					b.Fatalf("diff: %v, want changes", err)
				}
			}
		})
	}
}

// BenchmarkMapCommandCilium is BenchmarkMapCommand on the 10k-pod cluster
// with CiliumNetworkPolicies: one per five pods and no NetworkPolicy, and
// half of each (the cluster-wide Cilium policies of gen.ClusterwidePolicies
// in both).
func BenchmarkMapCommandCilium(b *testing.B) {
	for _, cfg := range []gen.Config{
		{Pods: 10000, CiliumPolicies: 2000, Seed: 1},
		{Pods: 10000, Policies: 1000, CiliumPolicies: 1000, Seed: 1},
	} {
		b.Run(fmt.Sprintf("pods=%d/np=%d/cnp=%d", cfg.Pods, cfg.Policies, cfg.CiliumPolicies), func(b *testing.B) {
			benchMap(b, writeConfig(b, cfg))
		})
	}
}

// benchMap times "map -A -o json -f dir".
func benchMap(b *testing.B, dir string) {
	b.ResetTimer()
	for b.Loop() {
		streams := genericiooptions.IOStreams{In: nil, Out: io.Discard, ErrOut: io.Discard}
		cmd := NewCmdNetpol(streams)
		cmd.SetArgs([]string{"map", "-A", "-o", "json", "-f", dir})
		if err := cmd.Execute(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGraph is the reachability engine alone, on typed objects.
func BenchmarkGraph(b *testing.B) {
	for _, pods := range benchSizes {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			objs := gen.Cluster(gen.Config{Pods: pods, Policies: pods / 5, Seed: 1})
			b.ResetTimer()
			for b.Loop() {
				s, err := query.NewSnapshot(objs, query.DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				g := s.Graph(query.GraphOptions{})
				b.ReportMetric(float64(len(s.Classes())), "classes")
				b.ReportMetric(float64(len(g.Edges)), "edges")
			}
		})
	}
}

// BenchmarkCanOnLargeCluster is one "can" question against a large
// snapshot, reading included.
func BenchmarkCanOnLargeCluster(b *testing.B) {
	dir := writeCluster(b, 10000)
	objs := gen.Cluster(gen.Config{Pods: 10000, Policies: 2000, Seed: 1})
	s, err := query.NewSnapshot(objs, query.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	u := s.Units("")
	src, dst := u[0], u[len(u)/2]
	args := []string{"can", "-q", "-f", dir, fmt.Sprintf("%s/%s/%s", src.Namespace, src.Kind, src.Name), fmt.Sprintf("%s/%s/%s", dst.Namespace, dst.Kind, dst.Name)}
	b.ResetTimer()
	for b.Loop() {
		cmd := NewCmdNetpol(genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard})
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil && ExitCode(err) == ExitError {
			b.Fatal(err)
		}
	}
}
