package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"
)

// netpolBinary is the kubectl-netpol the action runs: $KUBECTL_NETPOL_BINARY
// when set (a release build, say), else this test binary, which runs main
// (TestMain) behind a wrapper script that passes the arguments on.
func netpolBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KUBECTL_NETPOL_BINARY"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	return writeWrapper(t, t.TempDir())
}

// writeWrapper writes dir/kubectl-netpol, a script that runs main through
// this test binary with its arguments.
func writeWrapper(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/usr/bin/env bash\n# kubectl-netpol: main, run by the test binary (TestMain)\nKUBECTL_NETPOL_ARGS=\"$(printf '%%s\\n' \"$@\")\" exec %q -test.run='^$'\n", self)
	path := filepath.Join(dir, "kubectl-netpol")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// actionWorkspace is a checkout as the action finds it: the repository's
// root (with .git), and the fixtures under deploy/.
func actionWorkspace(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	copies := map[string]string{
		"../../testdata/audit/shop.yaml":              "deploy/audit/shop.yaml",
		"../../testdata/expectations/wrong.yaml":      "deploy/wrong.yaml",
		"../../testdata/three-tier/expectations.yaml": "deploy/expectations.yaml",
		"../../testdata/whatif/deny-all-dev.yaml":     "deploy/change/deny-all-dev.yaml",
		"../../testdata/whatif/no-change.yaml":        "deploy/change/no-change.yaml",
	}
	tier, err := filepath.Glob("../../testdata/three-tier/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tier {
		if filepath.Base(f) != "expectations.yaml" && filepath.Base(f) != "traffic.yaml" {
			copies[f] = "deploy/three-tier/" + filepath.Base(f)
		}
	}
	for from, to := range copies {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		to = filepath.Join(ws, to)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(ws, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	return ws
}

// TestGitHubAction runs the action's steps with a fake GitHub environment
// against a local kubectl-netpol: the job summary, the SARIF, the upload
// step and the job's result for each command and exit code.
func TestGitHubAction(t *testing.T) {
	bin := netpolBinary(t)
	tests := []struct {
		name   string
		inputs map[string]string
		// failed is the step that fails the job ("" when it passes), with
		// code; exitCode is the action's exit-code output.
		failed   string
		code     int
		exitCode string
		summary  []string
		check    func(t *testing.T, ws string, r *actionRun)
	}{
		{
			name:     "audit with SARIF: findings fail the job after the upload",
			inputs:   map[string]string{"command": "audit", "args": "-A -f audit/", "sarif": "true", "working-directory": "deploy"},
			failed:   "Fail on the exit code",
			code:     1,
			exitCode: "1",
			summary:  []string{"**kubectl netpol audit**: 16 findings: 3 high, 6 medium, 7 low.\n", "| severity | check | object | field | finding |\n", "<details><summary>fix: "},
			check: func(t *testing.T, ws string, r *actionRun) {
				sarif := filepath.Join(ws, "deploy", "kubectl-netpol.sarif")
				if got := r.actionOutputs()["sarif-file"]; got != sarif {
					t.Errorf("sarif-file output %q, want %q", got, sarif)
				}
				want := []usedAction{{"github/codeql-action/upload-sarif@v4", map[string]string{"sarif_file": sarif, "category": "kubectl-netpol"}}}
				if fmt.Sprint(r.uses) != fmt.Sprint(want) {
					t.Errorf("uses %v, want %v", r.uses, want)
				}
				uris := validSARIFFile(t, sarif)
				if len(uris) != 1 || uris[0] != "deploy/audit/shop.yaml" {
					t.Errorf("SARIF locations in %q, want deploy/audit/shop.yaml, relative to the repository's root", uris)
				}
			},
		},
		{
			name:     "audit without failing on findings: the job passes, the exit code is an output",
			inputs:   map[string]string{"command": "audit", "args": "-n shop\n-f audit/", "fail-on-findings": "false", "working-directory": "deploy"},
			exitCode: "1",
			summary:  []string{"**kubectl netpol audit**: 10 findings: 3 high, 4 medium, 3 low.\n"},
			check: func(t *testing.T, ws string, r *actionRun) {
				if len(r.uses) != 0 || r.actionOutputs()["sarif-file"] != "" {
					t.Errorf("no SARIF asked for, yet uses %v, sarif-file %q", r.uses, r.actionOutputs()["sarif-file"])
				}
				if !strings.Contains(r.log.String(), "::notice::kubectl netpol audit: findings (fail-on-findings is false)") {
					t.Error("the log does not say that findings were let through")
				}
			},
		},
		{
			name:     "sarif without upload: the file, no upload step",
			inputs:   map[string]string{"command": "audit", "args": "-A -f audit/", "sarif": "true", "upload-sarif": "false", "sarif-file": "out/netpol.sarif", "fail-on-findings": "false", "working-directory": "deploy"},
			exitCode: "1",
			summary:  []string{"**kubectl netpol audit**"},
			check: func(t *testing.T, ws string, r *actionRun) {
				if len(r.uses) != 0 {
					t.Errorf("uses %v with upload-sarif false", r.uses)
				}
				sarif := filepath.Join(ws, "deploy", "out", "netpol.sarif")
				if got := r.actionOutputs()["sarif-file"]; got != sarif {
					t.Errorf("sarif-file output %q, want %q", got, sarif)
				}
				validSARIFFile(t, sarif)
			},
		},
		{
			name:     "diff that changes nothing passes",
			inputs:   map[string]string{"command": "diff", "args": "-f three-tier/ --with change/no-change.yaml", "working-directory": "deploy"},
			exitCode: "0",
			summary:  []string{"**kubectl netpol diff**: No flow changes verdict.\n"},
		},
		{
			name:     "diff that changes flows fails the job, with the table in the summary",
			inputs:   map[string]string{"command": "diff", "args": "-f three-tier/ --with change/deny-all-dev.yaml", "working-directory": "deploy"},
			failed:   "Fail on the exit code",
			code:     1,
			exitCode: "1",
			summary:  []string{"**kubectl netpol diff**: 51 pairs change", "| from | to | now denied | now allowed | deciding rule |\n", "\nand 1 more (see `-o json`)\n"},
		},
		{
			name:     "test whose expectations fail fails the job",
			inputs:   map[string]string{"command": "test", "args": "wrong.yaml -f three-tier/", "working-directory": "deploy"},
			failed:   "Fail on the exit code",
			code:     1,
			exitCode: "1",
			summary:  []string{"**kubectl netpol test**: 1 passed, 2 failed.\n", "| web reaches the database | `prod/web` | `prod/db:3306` | allow | deny |"},
		},
		{
			name:     "test whose expectations hold passes",
			inputs:   map[string]string{"command": "test", "args": "expectations.yaml -f three-tier/", "working-directory": "deploy"},
			exitCode: "0",
			summary:  []string{"**kubectl netpol test**: 14 passed, 0 failed.\n"},
		},
		{
			name:     "an error fails the job with exit 2 and says why in the summary",
			inputs:   map[string]string{"command": "audit", "args": "-A -f nowhere/", "sarif": "true", "working-directory": "deploy"},
			failed:   "Fail on the exit code",
			code:     2,
			exitCode: "2",
			summary:  []string{"**kubectl netpol audit** failed (exit 2):\n\n```\nerror: the path \"nowhere/\" does not exist\n```\n"},
			check: func(t *testing.T, ws string, r *actionRun) {
				if len(r.uses) != 0 {
					t.Errorf("uses %v: nothing to upload after an error", r.uses)
				}
			},
		},
		{
			name:   "a command the action does not run",
			inputs: map[string]string{"command": "map", "args": "-A -f three-tier/", "working-directory": "deploy"},
			failed: "Run kubectl netpol map",
			code:   2,
			check: func(t *testing.T, ws string, r *actionRun) {
				if !strings.Contains(r.log.String(), `::error::kubectl netpol: command must be diff, test or audit, not "map"`) {
					t.Errorf("no error annotation in the log:\n%s", r.log.String())
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := actionWorkspace(t)
			if tc.inputs["sarif-file"] != "" {
				if err := os.MkdirAll(filepath.Join(ws, "deploy", filepath.Dir(tc.inputs["sarif-file"])), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			inputs := map[string]string{"binary": bin}
			for k, v := range tc.inputs {
				inputs[k] = v
			}
			r := runAction(t, ws, inputs)
			if r.failed != tc.failed || r.code != tc.code {
				t.Fatalf("failed at %q with exit %d, want %q with %d; log:\n%s", r.failed, r.code, tc.failed, tc.code, r.log.String())
			}
			if got := r.actionOutputs()["exit-code"]; got != tc.exitCode {
				t.Errorf("exit-code output %q, want %q", got, tc.exitCode)
			}
			summary, _ := os.ReadFile(r.summary)
			for _, want := range tc.summary {
				if !strings.Contains(string(summary), want) {
					t.Errorf("the job summary lacks %q:\n%s", want, summary)
				}
			}
			if md := r.actionOutputs()["markdown-file"]; tc.exitCode == "0" || tc.exitCode == "1" {
				b, err := os.ReadFile(md)
				if err != nil || !strings.HasSuffix(string(summary), string(b)) || len(b) == 0 {
					t.Errorf("markdown-file %q (%v) is not the summary's answer", md, err)
				}
			}
			if tc.check != nil {
				tc.check(t, ws, r)
			}
		})
	}
}

// validSARIFFile checks a SARIF file against the SARIF 2.1.0 schema and
// returns the files its results are located in.
func validSARIFFile(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open("../../testdata/sarif/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schema, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", schema); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%s is not valid SARIF: %v", path, err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var uris []string
	for _, r := range log.Runs[0].Results {
		if u := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; !seen[u] {
			seen[u] = true
			uris = append(uris, u)
		}
	}
	return uris
}

// TestGitHubActionInstallsTheRelease runs the install step against a fake
// release: curl is a script that serves archives made here and logs what
// was asked. The archive asked for is the one .goreleaser.yaml names for
// the runner's OS and architecture, its checksum is checked, and the
// binary in it runs.
func TestGitHubActionInstallsTheRelease(t *testing.T) {
	archive := goreleaserArchiveName(t)
	for _, tc := range []struct {
		name, version, os, arch string
		corrupt                 bool
		wantTag, wantOS, wantAr string
		wantFailed, wantLog     string
	}{
		{name: "latest on Linux x64", version: "latest", os: "Linux", arch: "X64", wantTag: "v9.9.9", wantOS: "linux", wantAr: "amd64"},
		{name: "a version without its v on macOS arm64", version: "1.2.3", os: "macOS", arch: "ARM64", wantTag: "v1.2.3", wantOS: "darwin", wantAr: "arm64"},
		{name: "a checksum that does not match fails the install", version: "v1.2.3", os: "Linux", arch: "ARM64", corrupt: true, wantTag: "v1.2.3", wantOS: "linux", wantAr: "arm64", wantFailed: "Install kubectl-netpol", wantLog: "kubectl-netpol_v1.2.3_linux_arm64.tar.gz: FAILED"},
		{name: "a runner without a release fails the install", version: "v1.2.3", os: "Linux", arch: "ARM", wantFailed: "Install kubectl-netpol", wantLog: "::error::kubectl netpol: no release for runner architecture ARM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			releases, fakeBin := t.TempDir(), t.TempDir()
			asset := archive(tc.wantTag, tc.wantOS, tc.wantAr) + ".tar.gz"
			if tc.wantTag != "" {
				writeRelease(t, filepath.Join(releases, tc.wantTag), asset, tc.corrupt)
			}
			curlLog := filepath.Join(t.TempDir(), "curl.log")
			writeFakeCurl(t, fakeBin)
			ws := actionWorkspace(t)
			r := runAction(t, ws, map[string]string{"version": tc.version, "command": "audit", "args": "-n shop -f audit/", "working-directory": "deploy", "fail-on-findings": "false"},
				"PATH="+fakeBin+":"+os.Getenv("PATH"), "RUNNER_OS="+tc.os, "RUNNER_ARCH="+tc.arch,
				"FAKE_RELEASES="+releases, "FAKE_LATEST=v9.9.9", "FAKE_CURL_LOG="+curlLog)
			if r.failed != tc.wantFailed {
				t.Fatalf("failed at %q (exit %d), want %q; log:\n%s", r.failed, r.code, tc.wantFailed, r.log.String())
			}
			if !strings.Contains(r.log.String(), tc.wantLog) {
				t.Errorf("the log lacks %q:\n%s", tc.wantLog, r.log.String())
			}
			if tc.wantFailed != "" {
				return
			}
			got, _ := os.ReadFile(curlLog)
			base := "https://github.com/kubectl-netpol/kubectl-netpol/releases"
			var want []string
			if tc.version == "latest" {
				want = append(want, base+"/latest")
			}
			want = append(want, base+"/download/"+tc.wantTag+"/"+asset, base+"/download/"+tc.wantTag+"/checksums.txt")
			if strings.TrimSpace(string(got)) != strings.Join(want, "\n") {
				t.Errorf("curl asked for:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
			if r.actionOutputs()["exit-code"] != "1" || !strings.Contains(r.log.String(), "kubectl netpol "+tc.wantTag+" installed") {
				t.Errorf("the installed binary did not run the audit: exit-code %q; log:\n%s", r.actionOutputs()["exit-code"], r.log.String())
			}
		})
	}
}

// goreleaserArchiveName renders the archives' name_template of
// .goreleaser.yaml, the names krew/netpol.yaml points at too.
func goreleaserArchiveName(t *testing.T) func(tag, goos, goarch string) string {
	t.Helper()
	b, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ProjectName string `yaml:"project_name"`
		Archives    []struct {
			NameTemplate string `yaml:"name_template"`
		} `yaml:"archives"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil || len(cfg.Archives) != 1 {
		t.Fatalf(".goreleaser.yaml: %v, %d archives", err, len(cfg.Archives))
	}
	return func(tag, goos, goarch string) string {
		return strings.NewReplacer("{{ .ProjectName }}", cfg.ProjectName, "{{ .Tag }}", tag, "{{ .Os }}", goos, "{{ .Arch }}", goarch).Replace(cfg.Archives[0].NameTemplate)
	}
}

// writeRelease writes dir/asset, an archive holding kubectl-netpol
// (netpolBinary) and LICENSE, and dir/checksums.txt as goreleaser writes
// it; corrupt gives the archive a wrong checksum.
func writeRelease(t *testing.T, dir, asset string, corrupt bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	binary, err := os.ReadFile(netpolBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, asset))
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, e := range []struct {
		name string
		mode int64
		data []byte
	}{{"kubectl-netpol", 0o755, binary}, {"LICENSE", 0o644, []byte("Apache License 2.0\n")}} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, zw, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, asset))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if corrupt {
		sum[0] ^= 0xff
	}
	sums := fmt.Sprintf("%x  other_asset.tar.gz\n%x  %s\n", sha256.Sum256(nil), sum, asset)
	if err := os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(sums), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeFakeCurl writes dir/curl: it serves $FAKE_RELEASES/TAG/FILE for
// .../releases/download/TAG/FILE, answers .../releases/latest with the URL
// of $FAKE_LATEST's page, and logs every URL to $FAKE_CURL_LOG. Nothing
// goes to the network.
func writeFakeCurl(t *testing.T, dir string) {
	t.Helper()
	script := `#!/usr/bin/env bash
out= fmt= url=
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift ;;
    -w) fmt=$2; shift ;;
    -*) ;;
    *) url=$1 ;;
  esac
  shift
done
echo "$url" >> "$FAKE_CURL_LOG"
case "$url" in
  https://github.com/*/releases/latest)
    [ "$fmt" = '%{url_effective}' ] && printf '%s' "${url%/latest}/tag/$FAKE_LATEST"
    ;;
  https://github.com/*/releases/download/*)
    f="$FAKE_RELEASES/${url#*/releases/download/}"
    [ -f "$f" ] || { echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; }
    cp "$f" "$out"
    ;;
  *) echo "curl: (6) Could not resolve host" >&2; exit 6 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "curl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}
