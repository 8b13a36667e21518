package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestPreCommitHooks reads .pre-commit-hooks.yaml as pre-commit does and
// runs each hook's command with its default args, as pre-commit would
// (entry, then args, no file names), in a repository laid out as the
// args say: the three-tier example's manifests and expectations.
func TestPreCommitHooks(t *testing.T) {
	b, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID            string   `yaml:"id"`
		Name          string   `yaml:"name"`
		Language      string   `yaml:"language"`
		Entry         string   `yaml:"entry"`
		Args          []string `yaml:"args"`
		Files         string   `yaml:"files"`
		PassFilenames *bool    `yaml:"pass_filenames"`
	}
	if err := yaml.Unmarshal(b, &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) == 0 {
		t.Fatal("no hooks")
	}
	repo := t.TempDir()
	manifests, err := filepath.Glob("../../testdata/three-tier/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range manifests {
		to := filepath.Join(repo, "manifests", filepath.Base(f))
		if filepath.Base(f) == "expectations.yaml" {
			to = filepath.Join(repo, "netpol-expectations.yaml")
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := netpolBinary(t)
	seen := map[string]bool{}
	for _, h := range hooks {
		t.Run(h.ID, func(t *testing.T) {
			if h.ID == "" || seen[h.ID] || h.Name == "" {
				t.Fatalf("hook %+v: want a name and an id of its own", h)
			}
			seen[h.ID] = true
			if h.Language != "golang" && h.Language != "system" {
				t.Errorf("language %q: golang builds this repository, system uses the PATH", h.Language)
			}
			if h.PassFilenames == nil || *h.PassFilenames {
				t.Error("pass_filenames must be false: file names after the args would be read as expectations or arguments")
			}
			re, err := regexp.Compile(h.Files)
			if err != nil || !re.MatchString("manifests/db.yaml") || re.MatchString("README.md") {
				t.Errorf("files %q (%v): want YAML and JSON files", h.Files, err)
			}
			entry := strings.Fields(h.Entry)
			if len(entry) != 2 || entry[0] != "kubectl-netpol" {
				t.Fatalf("entry %q: want kubectl-netpol COMMAND", h.Entry)
			}
			cmd := exec.Command(bin, append(entry[1:], h.Args...)...)
			cmd.Dir = repo
			cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none"))
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			// The example's expectations hold; it has findings of medium
			// severity (namespaces dev and test have no default deny).
			want := map[string]int{"test": 0, "audit": 1}[entry[1]]
			if code != want || !strings.Contains(string(out), map[string]string{"test": "14 passed, 0 failed", "audit": "no-default-deny-ingress"}[entry[1]]) {
				t.Errorf("%s %s: exit %d, want %d:\n%s", h.Entry, strings.Join(h.Args, " "), code, want, out)
			}
		})
	}
}
