package plugin

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionText(t *testing.T) {
	got := run(t, "", "version")
	if got.code != ExitOK || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	for _, want := range []string{
		"Version:    " + Version().Version + "\n",
		"Go version: " + runtime.Version() + "\n",
		"Platform:   " + runtime.GOOS + "/" + runtime.GOARCH + "\n",
	} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, got.stdout)
		}
	}
}

func TestVersionJSONHasTheDocumentedFields(t *testing.T) {
	got := run(t, "", "version", "-o", "json")
	if got.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	var fields map[string]string
	if err := json.Unmarshal([]byte(got.stdout), &fields); err != nil {
		t.Fatalf("not a JSON object of strings: %v\n%s", err, got.stdout)
	}
	want := map[string]string{
		"apiVersion": "netpol.kubectl.io/v1",
		"kind":       "Version",
		"version":    Version().Version,
		"gitCommit":  Version().GitCommit,
		"goVersion":  runtime.Version(),
		"platform":   runtime.GOOS + "/" + runtime.GOARCH,
	}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("version -o json (-want +got):\n%s", diff)
	}
}

func TestVersionYAML(t *testing.T) {
	got := run(t, "", "version", "-o", "yaml")
	if got.code != ExitOK || !strings.Contains(got.stdout, "goVersion: "+runtime.Version()+"\n") {
		t.Errorf("exit %d, stdout:\n%s", got.code, got.stdout)
	}
}

func TestRootVersionFlag(t *testing.T) {
	got := run(t, "", "--version")
	want := "kubectl netpol version " + Version().Version + "\n"
	if got.code != ExitOK || got.stdout != want {
		t.Errorf("exit %d, stdout %q, want %q", got.code, got.stdout, want)
	}
}

func TestVersionErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"version", "-o", "xml"},
		{"version", "extra"},
	} {
		got := run(t, "", args...)
		if got.code != ExitError || got.stdout != "" || !strings.HasPrefix(got.stderr, "error: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one error on stderr", args, got.code, got.stdout, got.stderr)
		}
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	base := VersionInfo{Version: "dev", GoVersion: "go1.26.0", Platform: "linux/amd64"}
	with := func(f func(*VersionInfo)) VersionInfo {
		v := base
		f(&v)
		return v
	}
	tests := []struct {
		name string
		v    VersionInfo
		info debug.BuildInfo
		want VersionInfo
	}{
		{
			name: "go install module@version reports the module version",
			v:    base,
			info: debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}},
			want: with(func(v *VersionInfo) { v.Version = "v1.2.3" }),
		},
		{
			name: "a build from a checkout without VCS stamping stays dev",
			v:    base,
			info: debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			want: base,
		},
		{
			name: "the VCS revision becomes the commit, marked dirty when modified",
			v:    base,
			info: debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}},
			want: with(func(v *VersionInfo) { v.GitCommit = "abc123-dirty" }),
		},
		{
			name: "linker flags win over the build info",
			v:    with(func(v *VersionInfo) { v.Version, v.GitCommit = "v2.0.0", "def456" }),
			info: debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}}},
			want: with(func(v *VersionInfo) { v.Version, v.GitCommit = "v2.0.0", "def456" }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fromBuildInfo(tt.v, &tt.info)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
