package plugin

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const expectations = "../testdata/expectations/"

func TestTestCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"three-tier", []string{threeTier + "expectations.yaml", "-f", threeTier}, 0},
		{"wrong", []string{expectations + "wrong.yaml", "-f", threeTier}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, format := range []string{"", "json", "junit"} {
				args := append([]string{"test"}, tc.args...)
				ext := ".txt"
				if format != "" {
					args = append(args, "-o", format)
					ext = "." + format
				}
				r := run(t, "", args...)
				if r.code != tc.wantCode {
					t.Fatalf("-o %q: exit %d, want %d\n%s%s", format, r.code, tc.wantCode, r.stdout, r.stderr)
				}
				golden(t, "test/"+tc.name+ext, r.stdout)
			}
		})
	}
}

func TestTestCommandReportsEveryFailureWithItsTrace(t *testing.T) {
	r := run(t, "", "test", expectations+"wrong.yaml", "-f", threeTier)
	for _, want := range []string{
		"FAIL  web reaches the database: prod/web -> prod/db:3306: expected allow, got deny",
		"x spec.ingress[0].from[0]: pod labels {app=shop,role=web,tier=frontend} do not match podSelector {role=api}",
		"FAIL  prod/api -> prod/db:3306: expected deny, got allow",
		"PASS  prod/db -> 192.168.5.10:80 (allow)",
		"1 passed, 2 failed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	j := run(t, "", "test", expectations+"wrong.yaml", "-f", threeTier, "-o", "junit")
	var suites struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(j.stdout), &suites); err != nil || len(suites.Suites) != 1 || suites.Suites[0].Tests != 3 || suites.Suites[0].Failures != 2 {
		t.Errorf("junit: %v %+v\n%s", err, suites, j.stdout)
	}
}

func TestTestCommandWithOverlay(t *testing.T) {
	r := run(t, "", "test", threeTier+"expectations.yaml", "-f", threeTier, "--without", "networkpolicy/prod/db", "-q")
	if r.code != 1 {
		t.Errorf("deleting the database policy must break expectations: exit %d", r.code)
	}
}

func TestTestCommandBadInput(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{expectations + "missing-endpoint.yaml"}, `missing-endpoint.yaml: [0] a cache that does not exist: destination "prod/cache:6379": no pod, workload or service named "cache"`},
		{[]string{expectations + "bad-expect.yaml"}, `bad-expect.yaml: [0]: expect: want allow or deny, got "maybe"`},
		{[]string{expectations + "nope.yaml"}, "read expectations"},
		{[]string{threeTier + "app-prod.yaml"}, "not a list of expectations"},
		{[]string{}, "requires at least 1 arg"},
	} {
		r := run(t, "", append(append([]string{"test"}, tc.args...), "-f", threeTier)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.wantErr) {
			t.Errorf("test %v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.wantErr)
		}
	}
}

// TestManifestDirectoriesSkipExpectationFiles: the example keeps its
// expectations beside its manifests, and -f on the directory still works.
func TestManifestDirectoriesSkipExpectationFiles(t *testing.T) {
	r := run(t, "", "can", "-f", threeTier, "api", "db:3306")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestTestHelpExampleParses: the expectations file shown in "test --help",
// pasted verbatim, is a valid file whose expectation holds on the example.
func TestTestHelpExampleParses(t *testing.T) {
	help := run(t, "", "test", "--help")
	_, after, ok := strings.Cut(help.stdout, "The file is a YAML list:\n\n")
	if !ok {
		t.Fatalf("help has no file example:\n%s", help.stdout)
	}
	block, _, _ := strings.Cut(after, "\n\n")
	file := filepath.Join(t.TempDir(), "expectations.yaml")
	if err := os.WriteFile(file, []byte(block+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "test", file, "-f", threeTier)
	if r.code != 0 || !strings.Contains(r.stdout, "PASS  only the API reaches the database") {
		t.Errorf("the help's example:\n%s\nexit %d, stdout:\n%sstderr:\n%s", block, r.code, r.stdout, r.stderr)
	}
}
