package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const hubbleDay = "../testdata/three-tier-replay/hubble-day.json"

// TestReplayThreeTier replays the shop's recorded day: against the
// manifests as they are, model and dataplane agree; against a change that
// forgets DNS, exactly prod's DNS connections are newly denied.
func TestReplayThreeTier(t *testing.T) {
	t.Run("as it is: model and dataplane agree", func(t *testing.T) {
		r := run(t, "", "replay", hubbleDay, "-f", threeTier)
		if r.code != 0 || !strings.Contains(r.stdout, ": 0 where model and dataplane disagree, 0 undecided, 0 unplaced.") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		golden(t, "replay/three-tier.txt", r.stdout)
	})
	t.Run("a change that forgets DNS: the DNS connections, newly denied", func(t *testing.T) {
		r := run(t, "", "replay", hubbleDay, "-f", threeTier, "--without", "networkpolicy/prod/allow-dns", "-o", "json")
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		var res struct {
			NewlyDenied, NewlyAllowed int
			Items                     []struct {
				From, To, Protocol, Change string
				Port                       int
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatal(err)
		}
		if res.NewlyDenied == 0 || res.NewlyAllowed != 0 {
			t.Errorf("%d newly denied, %d newly allowed", res.NewlyDenied, res.NewlyAllowed)
		}
		for _, it := range res.Items {
			dns := strings.HasPrefix(it.From, "deployment prod/") && it.To == "deployment kube-system/coredns" && it.Port == 53
			if dns != (it.Change == "newly denied") {
				t.Errorf("%s -> %s %s %d: change %q", it.From, it.To, it.Protocol, it.Port, it.Change)
			}
		}
		text := run(t, "", "replay", hubbleDay, "-f", threeTier, "--without", "networkpolicy/prod/allow-dns")
		golden(t, "replay/three-tier-without-dns.txt", text.stdout)
		md := run(t, "", "replay", hubbleDay, "-f", threeTier, "--without", "networkpolicy/prod/allow-dns", "-o", "markdown")
		golden(t, "replay/three-tier-without-dns.md", md.stdout)
	})
	t.Run("emit expectations that hold", func(t *testing.T) {
		r := run(t, "", "replay", hubbleDay, "-f", threeTier, "--emit-expectations")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		golden(t, "replay/three-tier-expectations.yaml", r.stdout)
		file := filepath.Join(t.TempDir(), "expectations.yaml")
		if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		check := run(t, "", "test", file, "-f", threeTier)
		if check.code != 0 {
			t.Errorf("the emitted expectations do not hold: exit %d\n%s%s", check.code, check.stdout, check.stderr)
		}
	})
}

// TestReplayGenericTwin: the generic CSV twin of the shop's Hubble day
// (testdata/three-tier-replay/connections.csv, one row per distinct
// connection with its count) replays to the same connections, verdicts and
// counts as the Hubble records, with and without a change (first and last
// seen differ: the twin has one time per row).
func TestReplayGenericTwin(t *testing.T) {
	const twin = "../testdata/three-tier-replay/connections.csv"
	items := func(args ...string) string {
		t.Helper()
		r := run(t, "", append([]string{"replay", "-o", "json", "-f", threeTier}, args...)...)
		if r.code == ExitError {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		var res struct {
			Connections, Distinct, NewlyDenied int
			Items                              []struct {
				From, To, Protocol, Change string
				Port, Count                int
				Recorded                   map[string]int
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != res.Distinct {
			t.Fatalf("%d items, %d distinct", len(res.Items), res.Distinct)
		}
		b, _ := json.Marshal(res)
		return string(b)
	}
	for _, change := range [][]string{nil, {"--without", "networkpolicy/prod/allow-dns"}} {
		hubble, csv := items(append([]string{hubbleDay}, change...)...), items(append([]string{twin}, change...)...)
		if hubble != csv {
			t.Errorf("%v: Hubble\n%s\nCSV\n%s", change, hubble, csv)
		}
		if !strings.Contains(hubble, `"Connections":223,"Distinct":29`) {
			t.Errorf("%v: %s", change, hubble)
		}
	}
}
