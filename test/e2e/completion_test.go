package e2e

import (
	"strings"
	"testing"
)

// completions runs "__complete ARGS..." in-process against the cluster and
// returns the candidates without descriptions.
func completions(t *testing.T, log *requestLog, args ...string) []string {
	t.Helper()
	r := runInProcess(t, log.wrap, append([]string{"__complete", "--kubeconfig", adminKubeconfig}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %v: exit %d: %s", args, r.code, r.stderr)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if !strings.HasPrefix(l, ":") {
			name, _, _ := strings.Cut(l, "\t")
			out = append(out, name)
		}
	}
	return out
}

// TestCompletionReadsTheCluster: without -f, completion offers the cluster's
// namespaces (one list call) and the names of one namespace (that
// namespace's lists only), read-only; the CNI probe of every live read aside.
func TestCompletionReadsTheCluster(t *testing.T) {
	log := &requestLog{}
	got := completions(t, log, "can", "-n", "")
	if !contains(got, "prod") || !contains(got, "kube-system") {
		t.Errorf("-n offered %v", got)
	}
	// One list of namespaces, plus the CNI probe every live read makes
	// (DaemonSets, and Deployments when no DaemonSet names a plugin, as on
	// this bare API server).
	if log.n.Load() > 3 || !strings.Contains(log.paths[0], "/api/v1/namespaces?") {
		t.Errorf("-n made %d requests: %v, want the list of namespaces (and the CNI probe)", log.n.Load(), log.paths)
	}
	for _, p := range log.paths {
		if !strings.HasPrefix(p, "GET ") || strings.Contains(p, "/pods") {
			t.Errorf("-n read pods or wrote: %s", p)
		}
	}

	log = &requestLog{}
	got = completions(t, log, "can", "-n", "prod", "api", "d")
	if !contains(got, "db") || !contains(got, "deploy/") || !contains(got, "dev/") {
		t.Errorf("can api d<TAB> offered %v", got)
	}
	for _, p := range log.paths {
		cniProbe := strings.HasPrefix(p, "GET /apis/apps/v1/daemonsets?") || strings.HasPrefix(p, "GET /apis/apps/v1/deployments?")
		if !strings.HasPrefix(p, "GET ") || (strings.Contains(p, "/namespaces/") && !strings.Contains(p, "/namespaces/prod/") && !cniProbe) {
			t.Errorf("completion read outside prod or wrote: %s", p)
		}
	}

	got = completions(t, &requestLog{}, "can", "-n", "prod", "api", "db:")
	if !contains(got, "db:3306") || !contains(got, "db:mysql") {
		t.Errorf("can api db:<TAB> offered %v", got)
	}
	got = completions(t, &requestLog{}, "explain", "kube-system/")
	if !contains(got, "kube-system/coredns") {
		t.Errorf("explain kube-system/<TAB> offered %v", got)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
