package plugin

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestExplainThreeTier(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"db", []string{"db"}},
		{"dev-web", []string{"-n", "dev", "web"}},
		{"svc-api", []string{"svc/api"}},
		{"namespace-prod", []string{"-n", "prod"}},
		{"namespace-dev", []string{"-n", "dev"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := run(t, "", append([]string{"explain", "-f", threeTier}, tc.args...)...)
			if text.code != 0 {
				t.Fatalf("exit %d: %s", text.code, text.stderr)
			}
			golden(t, "explain/"+tc.name+".txt", text.stdout)
			js := run(t, "", append([]string{"explain", "-f", threeTier, "-o", "json"}, tc.args...)...)
			if js.code != 0 {
				t.Fatalf("-o json exit %d: %s", js.code, js.stderr)
			}
			golden(t, "explain/"+tc.name+".json", js.stdout)
		})
	}
}

// TestExplainDatabase pins what issue 4 asks of "explain db": both
// policies named, ingress only from api on TCP 3306, egress only to the
// backup server on TCP 80 (and DNS), and api the only workload reaching it.
func TestExplainDatabase(t *testing.T) {
	r := run(t, "", "explain", "-f", threeTier, "-o", "json", "db")
	var ex struct {
		Workloads []struct {
			Workload string
			Ingress  struct {
				Isolated bool
				Policies []struct{ Name string }
				Peers    []struct {
					Peer  string
					Ports json.RawMessage
				}
			}
			Egress struct {
				Peers []struct{ Peer string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &ex); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(ex.Workloads) != 1 {
		t.Fatalf("want one workload, got %d", len(ex.Workloads))
	}
	in := ex.Workloads[0].Ingress
	if !in.Isolated || len(in.Policies) != 2 || in.Policies[0].Name != "prod/db" || in.Policies[1].Name != "prod/default-deny" {
		t.Errorf("ingress policies = %+v", in.Policies)
	}
	var ports bytes.Buffer
	if len(in.Peers) > 0 {
		_ = json.Compact(&ports, in.Peers[0].Ports)
	}
	if len(in.Peers) != 1 || in.Peers[0].Peer != "deployment prod/api" || ports.String() != `[{"protocol":"TCP","ranges":[{"from":3306,"to":3306}]}]` {
		t.Errorf("reached by %+v, want only deployment prod/api on TCP 3306", in.Peers)
	}
	var egress []string
	for _, p := range ex.Workloads[0].Egress.Peers {
		egress = append(egress, p.Peer)
	}
	if strings.Join(egress, ",") != "deployment kube-system/coredns,192.168.5.10/32" {
		t.Errorf("reaches %v", egress)
	}
}

func TestExplainBadInput(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"cache"}, `no pod, workload or service named "cache"`},
		{[]string{"192.168.5.10"}, "outside the cluster"},
		{[]string{"db:3306"}, "explain takes no port"},
		{[]string{"-n", "staging"}, "namespace staging does not exist"},
		{[]string{"a", "b"}, "accepts at most 1 arg"},
	} {
		r := run(t, "", append([]string{"explain", "-f", threeTier}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.wantErr) {
			t.Errorf("explain %v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.wantErr)
		}
	}
}
