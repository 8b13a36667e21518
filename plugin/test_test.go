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
			for _, format := range []string{"", "json", "junit", "markdown"} {
				args := append([]string{"test"}, tc.args...)
				ext := ".txt"
				if format != "" {
					args = append(args, "-o", format)
					ext = "." + strings.Replace(format, "markdown", "md", 1)
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
		{[]string{expectations + "missing-endpoint.yaml"}, `missing-endpoint.yaml:1: expectation 1 (a cache that does not exist): destination "prod/cache:6379": no pod, workload or service named "cache"`},
		{[]string{expectations + "bad-expect.yaml"}, `bad-expect.yaml:3: expectation 1: expect: want allow or deny, got "maybe"`},
		{[]string{expectations + "nope.yaml"}, "read expectations"},
		{[]string{threeTier + "app-prod.yaml"}, "app-prod.yaml:2: not a list of expectations"},
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

// TestExpectationFileErrors: a bad expectations file is reported as
// FILE:LINE with the expectation's number counted from 1, in words of the
// file's format, never of how it is decoded.
func TestExpectationFileErrors(t *testing.T) {
	const good = "- from: prod/api\n  to: prod/db:3306\n  expect: allow\n"
	for _, tc := range []struct {
		name, file, wantErr string
	}{
		{"a wrong expect value names its line", good + "- from: prod/web\n  to: prod/db:3306\n  expect: maybe\n",
			`F:6: expectation 2: expect: want allow or deny, got "maybe"`},
		{"a missing field names the item's line and its name", good + "\n# comment\n- name: no destination\n  from: prod/web\n  expect: deny\n",
			"F:6: expectation 2 (no destination): from and to are required"},
		{"expect is required", good + "- from: prod/web\n  to: prod/db:3306\n",
			"F:4: expectation 2: expect is required (allow or deny)"},
		{"an unknown field names its line", good + "- from: prod/web\n  to: prod/db:3306\n  expected: deny\n",
			`F:6: expectation 2: unknown field "expected" (want name, from, to, expect)`},
		{"a field given twice", "- from: prod/web\n  to: prod/db:3306\n  to: prod/api\n  expect: deny\n",
			"F:3: expectation 1: to given twice"},
		{"a field that is not a string", "- from: [prod/web]\n  to: prod/db:3306\n  expect: deny\n",
			"F:1: expectation 1: from: want a string"},
		{"an item that is not a mapping", good + "- prod/web prod/db\n",
			"F:4: expectation 2: want a mapping with from, to and expect"},
		{"a mapping instead of a list", "from: prod/web\nto: prod/db:3306\nexpect: deny\n",
			"F:1: not a list of expectations (- from: SRC, to: DST, expect: allow|deny, name: optional)"},
		{"a YAML syntax error names its line", good + "- from: prod/web\n  to: prod/db:3306\n   expect: deny\n",
			"F:6: mapping values are not allowed in this context"},
		{"a second document is not skipped", good + "---\n- from: prod/web\n  to: prod/db:3306\n  expect: deny\n",
			"F:5: a second YAML document: want one list of expectations"},
		{"an empty list", "[]\n", "F:1: no expectations"},
		{"an empty file", "# nothing\n", "F: no expectations"},
		{"an endpoint that does not parse", good + "- from: prod/web\n  to: prod/db:99999\n  expect: deny\n",
			`F:4: expectation 2: destination: "prod/db:99999": port 99999 is not between 1 and 65535`},
		{"an endpoint that does not exist", good + "- name: a cache\n  from: prod/api\n  to: prod/cache:6379\n  expect: deny\n",
			`F:4: expectation 2 (a cache): destination "prod/cache:6379": no pod, workload or service named "cache"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "expectations.yaml")
			if err := os.WriteFile(file, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			r := run(t, "", "test", file, "-f", threeTier)
			got := strings.ReplaceAll(r.stderr, file, "F")
			if r.code != 2 || !strings.HasPrefix(got, "error: "+tc.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and it to start with:\nerror: %s", r.code, got, tc.wantErr)
			}
		})
	}
}
