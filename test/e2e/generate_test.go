package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedPoliciesPassServerValidation: the policies "generate" writes
// for the shop's traffic, read live and from the manifests, are accepted by
// the real API server's validation (kubectl apply --dry-run=server), and
// the two readings propose the same policies.
func TestGeneratedPoliciesPassServerValidation(t *testing.T) {
	kubectl := kubectlBinary()
	if kubectl == "" {
		t.Fatal("no kubectl: set TEST_ASSET_KUBECTL (make e2e does)")
	}
	traffic := threeTier + "traffic.yaml"
	live := runBinary(t, "generate", "--from", traffic, "-n", "prod", "--replace", "--kubeconfig", adminKubeconfig)
	if live.code != 0 || !strings.Contains(live.stderr, "Proof: holds.") {
		t.Fatalf("generate on the live cluster: exit %d\n%s", live.code, live.stderr)
	}
	offline := runBinary(t, "generate", "--from", traffic, "-n", "prod", "--replace", "-f", threeTier)
	if offline.code != 0 {
		t.Fatalf("generate on the manifests: exit %d\n%s", offline.code, offline.stderr)
	}
	if live.stdout != offline.stdout {
		t.Errorf("live and manifests propose different policies:\nlive:\n%s\nmanifests:\n%s", live.stdout, offline.stdout)
	}
	for _, extra := range [][]string{nil, {"-A"}} {
		args := append([]string{"generate", "--from", threeTier + "../three-tier-replay/hubble-day.json", "--kubeconfig", adminKubeconfig}, extra...)
		r := runBinary(t, args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		for _, out := range []string{live.stdout, r.stdout} {
			file := filepath.Join(t.TempDir(), "generated.yaml")
			if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(kubectl, "apply", "--dry-run=server", "-f", file, "--kubeconfig", adminKubeconfig)
			got, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, got)
			}
			if n := strings.Count(string(got), "(server dry run)"); n != strings.Count(out, "\nkind: NetworkPolicy\n") || n == 0 {
				t.Errorf("%d objects accepted, want one per generated policy:\n%s", n, got)
			}
		}
	}
}
