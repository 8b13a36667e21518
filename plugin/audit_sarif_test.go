package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// sarifSchema is the OASIS SARIF 2.1.0 schema (testdata/sarif/README.md
// says where it comes from), compiled once, with format assertions.
var sarifSchema = func() func(t *testing.T) *jsonschema.Schema {
	var sch *jsonschema.Schema
	return func(t *testing.T) *jsonschema.Schema {
		t.Helper()
		if sch != nil {
			return sch
		}
		f, err := os.Open("../testdata/sarif/sarif-schema-2.1.0.json")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
			t.Fatal(err)
		}
		if sch, err = c.Compile("sarif-schema-2.1.0.json"); err != nil {
			t.Fatal(err)
		}
		return sch
	}
}()

// sarifLog is the part of a SARIF log the tests read.
type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID                   string
					ShortDescription     struct{ Text string }
					Help                 struct{ Text string }
					DefaultConfiguration struct{ Level string }
				}
			}
		}
		Results []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct{ URI string }
					Region           *struct{ StartLine, StartColumn int }
				}
				LogicalLocations []struct{ Name, FullyQualifiedName, Kind string }
			}
			PartialFingerprints map[string]string
			Properties          struct{ Severity, Object, Field string }
		}
	}
}

// validSARIF checks out against the schema and the rules code scanning
// adds to it, and returns the log: every result names a rule of the run
// by ID and index, at the level of its severity, with one location that
// has a logical location, and a fingerprint.
func validSARIF(t *testing.T, out string) sarifLog {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if err := sarifSchema(t).Validate(inst); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
	var log sarifLog
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	levels := map[string]string{"high": "error", "medium": "warning", "low": "note"}
	for _, r := range run.Results {
		if r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result of %s has ruleIndex %d, which is not its rule", r.RuleID, r.RuleIndex)
		}
		if levels[r.Properties.Severity] != r.Level {
			t.Errorf("%s %s: level %q for severity %q", r.RuleID, r.Properties.Object, r.Level, r.Properties.Severity)
		}
		if len(r.Locations) != 1 || len(r.Locations[0].LogicalLocations) != 1 || r.PartialFingerprints["kubectlNetpolFinding/v1"] == "" {
			t.Errorf("%s %s: want one location with a logical location, and a fingerprint: %+v", r.RuleID, r.Properties.Object, r)
		}
	}
	return log
}

// TestAuditSARIF pins the SARIF of the audit fixture: every check as a
// rule with its help, each finding at the file, line and column of its
// field or object.
func TestAuditSARIF(t *testing.T) {
	r := run(t, "", "audit", "-f", "../testdata/audit/", "-A", "-o", "sarif")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	golden(t, "audit/shop.sarif", r.stdout)
	log := validSARIF(t, r.stdout)
	rules := log.Runs[0].Tool.Driver.Rules
	if len(rules) != len(query.AuditChecks()) {
		t.Errorf("%d rules, want one per check (%d)", len(rules), len(query.AuditChecks()))
	}
	for _, rule := range rules {
		if rule.ShortDescription.Text == "" || rule.Help.Text == "" || rule.DefaultConfiguration.Level == "" {
			t.Errorf("rule %s lacks a description, help or level", rule.ID)
		}
	}
	// Lines as testdata/audit/shop.yaml has them.
	want := map[string]string{
		"database-open-to-all networkpolicy shop/postgres spec.ingress[0].from[0]":                            "testdata/audit/shop.yaml:72:12",
		"peer-without-namespace-restriction networkpolicy shop/api spec.ingress[0].from[0].namespaceSelector": "testdata/audit/shop.yaml:84:7",
		"unknown-named-port networkpolicy shop/api spec.ingress[0].ports[1]":                                  "testdata/audit/shop.yaml:87:27",
		"policy-selects-nothing networkpolicy shop/postgress-backup spec.podSelector":                         "testdata/audit/shop.yaml:97:3",
		"unprotected-workload deployment shop/cache ":                                                         "testdata/audit/shop.yaml:35:1",
		"no-default-deny-ingress namespace shop ":                                                             "testdata/audit/shop.yaml:2:1",
	}
	got := map[string]string{}
	for _, res := range log.Runs[0].Results {
		pl := res.Locations[0].PhysicalLocation
		if pl == nil || pl.Region == nil {
			t.Errorf("%s %s: no file and line", res.RuleID, res.Properties.Object)
			continue
		}
		got[res.RuleID+" "+res.Properties.Object+" "+res.Properties.Field] = pl.ArtifactLocation.URI + ":" + strconv.Itoa(pl.Region.StartLine) + ":" + strconv.Itoa(pl.Region.StartColumn)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s at %q, want %q", k, got[k], v)
		}
	}
}

// TestAuditSARIFIsValid validates the SARIF of audits of every kind of
// input against the SARIF 2.1.0 schema: manifests with cluster policies,
// Cilium's policies, a what-if overlay, standard input (no file), and a
// live cluster's findings, which have no file either.
func TestAuditSARIFIsValid(t *testing.T) {
	var manifest []byte
	for _, f := range []string{"namespaces.yaml", "app-prod.yaml"} {
		b, err := os.ReadFile(filepath.Join(threeTier, f))
		if err != nil {
			t.Fatal(err)
		}
		manifest = append(append(manifest, b...), "\n---\n"...)
	}
	for _, tc := range []struct {
		name     string
		stdin    string
		args     []string
		wantFile bool
	}{
		{"three-tier", "", []string{"-f", threeTier, "-A"}, true},
		{"cluster policies", "", []string{"-f", threeTier, "-f", tiers, "-A"}, true},
		{"cilium", "", append([]string{"-A"}, shopOnCilium...), true},
		{"what-if overlay", "", []string{"-f", threeTier, "--with", whatIf + "deny-all-dev.yaml", "-A"}, true},
		{"standard input", string(manifest), []string{"-f", "-", "-A"}, false},
		{"no findings", "", []string{"-f", threeTier, "-n", "prod"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.stdin, append([]string{"audit", "-o", "sarif"}, tc.args...)...)
			if r.code == ExitError {
				t.Fatalf("exit 2: %s", r.stderr)
			}
			log := validSARIF(t, r.stdout)
			if (len(log.Runs[0].Results) == 0) != (r.code == 0) {
				t.Fatalf("%d results, exit %d", len(log.Runs[0].Results), r.code)
			}
			for _, res := range log.Runs[0].Results {
				if hasFile := res.Locations[0].PhysicalLocation != nil; hasFile != tc.wantFile {
					t.Errorf("%s %s: physical location %v, want %v", res.RuleID, res.Properties.Object, hasFile, tc.wantFile)
				}
			}
		})
	}
	t.Run("live cluster: logical locations only", func(t *testing.T) {
		a := &query.Audit{SchemaVersion: query.SchemaVersion, Namespaces: []string{"prod"}, Findings: []query.Finding{
			{Severity: query.High, Check: "cni-does-not-enforce", Object: "cluster", Why: "flannel does not enforce NetworkPolicy"},
			{Severity: query.Medium, Check: "no-default-deny-ingress", Object: "namespace prod", Why: "no default deny", Fix: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy"},
			{Severity: query.Low, Check: "policy-selects-nothing", Object: "networkpolicy prod/old", Field: "spec.podSelector", Why: "matches no pod"},
		}}
		var b strings.Builder
		if err := output.AuditSARIF(&b, a, nil, "v1.2.3"); err != nil {
			t.Fatal(err)
		}
		log := validSARIF(t, b.String())
		var fqns []string
		for _, res := range log.Runs[0].Results {
			if res.Locations[0].PhysicalLocation != nil {
				t.Errorf("%s: a physical location without a file", res.RuleID)
			}
			fqns = append(fqns, res.Locations[0].LogicalLocations[0].FullyQualifiedName)
		}
		if want := []string{"cluster", "namespace/prod", "networkpolicy/prod/old"}; !slices.Equal(fqns, want) {
			t.Errorf("logical locations %q, want %q", fqns, want)
		}
	})
}

// TestAuditSARIFFingerprintsFollowObjects: a finding's fingerprint is its
// object, check and field, not its place: the same manifests in another
// order and another file keep every fingerprint, at other lines.
func TestAuditSARIFFingerprintsFollowObjects(t *testing.T) {
	data, err := os.ReadFile("../testdata/audit/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(data), "\n---\n")
	slices.Reverse(docs)
	moved := filepath.Join(t.TempDir(), "moved.yaml")
	if err := os.WriteFile(moved, []byte(strings.Join(docs, "\n---\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type place struct{ file, line string }
	read := func(path string) map[string]place {
		r := run(t, "", "audit", "-f", path, "-A", "-o", "sarif")
		log := validSARIF(t, r.stdout)
		out := map[string]place{}
		for _, res := range log.Runs[0].Results {
			pl := res.Locations[0].PhysicalLocation
			out[res.PartialFingerprints["kubectlNetpolFinding/v1"]] = place{pl.ArtifactLocation.URI, strconv.Itoa(pl.Region.StartLine)}
		}
		if len(out) != len(log.Runs[0].Results) {
			t.Errorf("%s: %d results, %d fingerprints: two findings share one", path, len(log.Runs[0].Results), len(out))
		}
		return out
	}
	before, after := read("../testdata/audit/shop.yaml"), read(moved)
	if len(before) == 0 || len(before) != len(after) {
		t.Fatalf("%d findings before, %d after", len(before), len(after))
	}
	sameLine := 0
	for fp, b := range before {
		a, ok := after[fp]
		if !ok {
			t.Errorf("fingerprint %s (at %v) lost when the objects moved", fp, b)
			continue
		}
		if a.file == b.file {
			t.Errorf("%s: the same file %s before and after", fp, a.file)
		}
		if a.line == b.line {
			sameLine++
		}
	}
	if sameLine == len(before) {
		t.Error("no finding moved: the test tests nothing")
	}
}

// TestAuditSARIFLocatesEveryKind: findings about cluster policies, Cilium
// policies and objects of a --with overlay are at their field, in the
// file that holds them.
func TestAuditSARIFLocatesEveryKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want map[string]string // check object field -> file:line:column
	}{
		{"cluster policies, from -f and --with", []string{"-f", threeTier, "-f", tiers, "--with", whatIf + "cnp-same-priority.yaml"}, map[string]string{
			"admin-accept-overrides-networkpolicy clusternetworkpolicy always-dns spec.egress[0]":         "testdata/tiers/cluster-policies.yaml:43:5",
			"cluster-policy-same-priority clusternetworkpolicy dev-reads-prod-db spec.priority":           "testdata/whatif/cnp-same-priority.yaml:11:3",
			"admin-accept-overrides-networkpolicy clusternetworkpolicy dev-reads-prod-db spec.ingress[0]": "testdata/whatif/cnp-same-priority.yaml:19:5",
		}},
		{"Cilium", []string{"-f", "../testdata/sarif/cilium.yaml"}, map[string]string{
			"cilium-unrestricted-egress ciliumnetworkpolicy prod/api-out spec.egress[0].toEntities[0]": "testdata/sarif/cilium.yaml:25:18",
			"peer-matches-nothing ciliumnetworkpolicy prod/api-out spec.ingress[0].fromEndpoints[0]":   "testdata/sarif/cilium.yaml:23:21",
			"egress-blocks-dns deployment prod/api ":                                                   "testdata/sarif/cilium.yaml:7:1",
			"no-default-deny-ingress namespace prod ":                                                  "testdata/sarif/cilium.yaml:3:1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append([]string{"audit", "-A", "-o", "sarif"}, tc.args...)...)
			log := validSARIF(t, r.stdout)
			got := map[string]string{}
			for _, res := range log.Runs[0].Results {
				if pl := res.Locations[0].PhysicalLocation; pl != nil && pl.Region != nil {
					got[res.RuleID+" "+res.Properties.Object+" "+res.Properties.Field] = pl.ArtifactLocation.URI + ":" + strconv.Itoa(pl.Region.StartLine) + ":" + strconv.Itoa(pl.Region.StartColumn)
				}
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s at %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestSARIFSchemaRejectsWhatIsNotSARIF: the schema check can fail: a level
// SARIF does not have, or a line 0, is refused.
func TestSARIFSchemaRejectsWhatIsNotSARIF(t *testing.T) {
	r := run(t, "", "audit", "-f", "../testdata/audit/", "-A", "-o", "sarif")
	for _, tc := range []struct{ name, from, to string }{
		{"an unknown level", `"level": "error"`, `"level": "fatal"`},
		{"line 0", `"startLine": 72`, `"startLine": 0`},
		{"a field SARIF does not have", `"partialFingerprints"`, `"fingerprintz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(r.stdout, tc.from) {
				t.Fatalf("the output has no %s", tc.from)
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(strings.Replace(r.stdout, tc.from, tc.to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sarifSchema(t).Validate(inst); err == nil {
				t.Error("accepted")
			}
		})
	}
}
