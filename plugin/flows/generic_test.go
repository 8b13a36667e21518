package flows

import (
	"bytes"
	"compress/gzip"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

func TestReadGeneric(t *testing.T) {
	day := func(hhmm string) time.Time {
		tm, err := time.Parse(time.RFC3339, "2025-03-03T"+hhmm+":00Z")
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	webDeploy := query.ObservedEnd{Namespace: "shop", Workload: "Deployment/web"}
	apiDeploy := query.ObservedEnd{Namespace: "shop", Workload: "Deployment/api"}
	runReadCases(t, []readCase{{
		name:  "CSV: a row is a connection, with its count; kinds and their short names are one key; comments and blank lines are skipped",
		paths: []string{"testdata/generic.csv"},
		want: []query.ObservedConnection{{
			Src: query.ObservedEnd{IP: netip.MustParseAddr("198.51.100.7")}, Dst: query.ObservedEnd{Namespace: "ingress-nginx", Workload: "StatefulSet/edge"},
			Protocol: corev1.ProtocolTCP, Port: 443,
			Count: 1, ByVerdict: map[query.RecordedVerdict]int{query.RecordedDenied: 1}, First: day("09:02"), Last: day("09:02"),
			Where: "testdata/generic.csv:6",
		}, {
			Src: withLabels(webDeploy, "app", "web", "tier", "web"), Dst: withLabels(apiDeploy, "app", "api"),
			Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 5, ByVerdict: forwarded(5), First: day("09:00"), Last: day("09:05"),
			Where: "testdata/generic.csv:3",
		}, {
			Src: query.ObservedEnd{Namespace: "shop", Pod: "api-7f9c8d5b4-q2w8z"}, Dst: query.ObservedEnd{Reserved: "world"},
			Protocol: corev1.ProtocolTCP, Port: 443,
			Count: 1, ByVerdict: map[query.RecordedVerdict]int{query.RecordedDropped: 1}, First: day("09:03"), Last: day("09:03"),
			Where: "testdata/generic.csv:8",
		}, {
			Src: query.ObservedEnd{Namespace: "shop", Pod: "web-6d4cf56db6-x7k2p"}, Dst: query.ObservedEnd{IP: netip.MustParseAddr("10.96.0.10")},
			Protocol: corev1.ProtocolUDP, Port: 53,
			Count: 1, ByVerdict: map[query.RecordedVerdict]int{query.RecordedNone: 1}, First: day("09:01"), Last: day("09:01"),
			Where: "testdata/generic.csv:5",
		}},
		stats: Stats{Records: 6, Flows: 6, Unjudged: 1, Connections: 8},
	}, {
		name:  "CSV: an unknown verdict is an error naming its file and line",
		paths: []string{"testdata/generic-bad.csv"},
		err:   `testdata/generic-bad.csv:2: unknown verdict "maybe" (allowed, denied, dropped, or empty)`,
	}, {
		name:    "CSV: bad rows (verdict, port, namespace, protocol, a short row) are counted with SkipBadRecords",
		paths:   []string{"testdata/generic-bad.csv"},
		skipBad: true,
		want: []query.ObservedConnection{{
			Src: webDeploy, Dst: apiDeploy, Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 1, ByVerdict: forwarded(1), Where: "testdata/generic-bad.csv:7",
		}},
		stats: Stats{Records: 6, Flows: 1, Bad: 5, FirstBad: `testdata/generic-bad.csv:2: unknown verdict "maybe" (allowed, denied, dropped, or empty)`, Connections: 1},
	}, {
		name:  "JSON lines: port as number or string, labels as an object or k=v text, unknown members ignored",
		paths: []string{"testdata/generic.jsonl"},
		want: []query.ObservedConnection{{
			Src: query.ObservedEnd{IP: netip.MustParseAddr("10.64.0.12")}, Dst: query.ObservedEnd{IP: netip.MustParseAddr("203.0.113.10")},
			Protocol: corev1.ProtocolTCP, Port: 443,
			Count: 1, ByVerdict: map[query.RecordedVerdict]int{query.RecordedNone: 1},
			Where: "testdata/generic.jsonl:4",
		}, {
			Src: withLabels(webDeploy, "app", "web"), Dst: apiDeploy, Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 4, ByVerdict: map[query.RecordedVerdict]int{query.RecordedForwarded: 3, query.RecordedDenied: 1},
			First: day("09:00"), Last: day("09:10"),
			Where: "testdata/generic.jsonl:1",
		}},
		stats: Stats{Records: 3, Flows: 3, Connections: 5},
	}, {
		name:  "JSON lines: a count of 0 is an error",
		paths: []string{"testdata/generic-bad.jsonl"},
		err:   `testdata/generic-bad.jsonl:2: invalid count "0" (a whole number, at least 1)`,
	}, {
		name:    "JSON lines: a bad count, an end without a kind and a truncated last line are counted with SkipBadRecords",
		paths:   []string{"testdata/generic-bad.jsonl"},
		skipBad: true,
		want: []query.ObservedConnection{{
			Src: webDeploy, Dst: apiDeploy, Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 1, ByVerdict: map[query.RecordedVerdict]int{query.RecordedNone: 1}, Where: "testdata/generic-bad.jsonl:1",
		}},
		stats: Stats{Records: 4, Flows: 1, Bad: 3, FirstBad: `testdata/generic-bad.jsonl:2: invalid count "0" (a whole number, at least 1)`, Connections: 1},
	}})
}

func withLabels(e query.ObservedEnd, kv ...string) query.ObservedEnd {
	e.Labels = map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		e.Labels[kv[i]] = kv[i+1]
	}
	return e
}

func TestParseEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want query.ObservedEnd
		why  string
	}{
		{in: "prod/web-1", want: query.ObservedEnd{Namespace: "prod", Pod: "web-1"}},
		{in: "prod/pod/web-1", want: query.ObservedEnd{Namespace: "prod", Pod: "web-1"}},
		{in: "prod/deploy/web", want: query.ObservedEnd{Namespace: "prod", Workload: "Deployment/web"}},
		{in: "prod/sts/db", want: query.ObservedEnd{Namespace: "prod", Workload: "StatefulSet/db"}},
		{in: "prod/DaemonSet/agent", want: query.ObservedEnd{Namespace: "prod", Workload: "DaemonSet/agent"}},
		{in: "prod/Rollout/web", want: query.ObservedEnd{Namespace: "prod", Workload: "Rollout/web"}},
		{in: "2001:db8::1", want: query.ObservedEnd{IP: netip.MustParseAddr("2001:db8::1")}},
		{in: "::ffff:10.0.0.1", want: query.ObservedEnd{IP: netip.MustParseAddr("10.0.0.1")}},
		{in: "reserved:world", want: query.ObservedEnd{Reserved: "world"}},
		{in: "reserved:moon", why: `unknown reserved end "reserved:moon" (reserved:world, host, remote-node, kube-apiserver, health or ingress)`},
		{in: "web", why: `"web" is not an IP address, ns/pod, ns/KIND/name or reserved:NAME`},
		{in: "a/b/c/d", why: `"a/b/c/d" is not an IP address, ns/pod, ns/KIND/name or reserved:NAME`},
		{in: "prod/rollout/web", why: `kind "rollout" is not a kind (Deployment, deploy, StatefulSet, sts, DaemonSet, ds, Job, CronJob...)`},
		{in: "Prod/web", why: `namespace "Prod": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{in: "", why: "empty"},
	} {
		got, why := parseEnd(tc.in)
		if why != tc.why {
			t.Errorf("parseEnd(%q) fails with %q, want %q", tc.in, why, tc.why)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpOpts...); diff != "" {
			t.Errorf("parseEnd(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

// TestReadFiles pins how paths are read: a directory's regular files in
// name order without dot files or subdirectories, "-" as stdin, gzip
// whatever the name, and a file of no known format.
func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fixture := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(fixture("nodes/worker-001.json"))
	zw.Close()
	flowsDir := filepath.Join(dir, "flows")
	write("flows/b-worker-001.json.1", gz.Bytes())
	write("flows/a-worker-000.json", fixture("nodes/worker-000.json"))
	write("flows/.partial", []byte("{not json"))
	write("flows/old/c.json", []byte("{not json"))

	t.Run("a directory: its files in name order, gzip or not, without dot files or subdirectories", func(t *testing.T) {
		got, stats, err := Read([]string{flowsDir}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []query.ObservedConnection{{
			Src: web, Dst: api, Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 2, ByVerdict: forwarded(2), First: at(0.1), Last: at(30),
			Where: filepath.Join(flowsDir, "a-worker-000.json") + ":1",
		}}
		if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("connections (-want +got):\n%s", diff)
		}
		if stats.Records != 7 || stats.Duplicates != 2 {
			t.Errorf("stats = %+v, want 7 records, 2 duplicates", stats)
		}
	})
	t.Run("- is stdin, named <stdin>", func(t *testing.T) {
		got, _, err := Read([]string{"-"}, bytes.NewReader(fixture("pod-to-world.json")), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Where != "<stdin>:1" {
			t.Errorf("got %+v, want one connection from <stdin>:1", got)
		}
	})
	t.Run("a file of no known format is an error", func(t *testing.T) {
		p := write("policy.yaml", []byte("\n\napiVersion: v1\nkind: Pod\n"))
		_, _, err := Read([]string{p}, nil, Options{SkipBadRecords: true})
		want := p + ":3: not a Hubble JSON record, nor a generic CSV header (with columns src, dst and port; src is missing)"
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want %s", err, want)
		}
	})
	t.Run("a path that does not exist is an error", func(t *testing.T) {
		_, _, err := Read([]string{filepath.Join(dir, "nope.json")}, nil, Options{})
		if err == nil || !strings.Contains(err.Error(), "nope.json") {
			t.Errorf("error = %v, want one naming nope.json", err)
		}
	})
	t.Run("an empty file has no connections", func(t *testing.T) {
		p := write("empty.json", nil)
		got, stats, err := Read([]string{p}, nil, Options{})
		if err != nil || len(got) != 0 || stats.Records != 0 {
			t.Errorf("got %v, %+v, %v; want nothing", got, stats, err)
		}
	})
}
