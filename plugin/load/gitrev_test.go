package load

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes a throwaway git repository with one commit per entry of
// commits (files to write; an empty content removes the file), and
// returns its directory.
func gitRepo(t *testing.T, commits ...map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_AUTHOR_NAME", "test")
	t.Setenv("GIT_AUTHOR_EMAIL", "test@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "test")
	t.Setenv("GIT_COMMITTER_EMAIL", "test@example.com")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("init", "-q", "-b", "main")
	for i, files := range commits {
		for name, content := range files {
			p := filepath.Join(dir, name)
			if content == "" {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run("add", "-A")
		run("commit", "-q", "--allow-empty", "-m", "commit "+string(rune('1'+i)))
	}
	return dir
}

func TestCheckoutRevision(t *testing.T) {
	repo := gitRepo(t,
		map[string]string{"k8s/a.yaml": "old\n", "k8s/gone.yaml": "gone\n", ".gitattributes": "k8s/* export-ignore\n"},
		map[string]string{"k8s/a.yaml": "new\n", "k8s/gone.yaml": "", "k8s/added.yaml": "added\n"},
	)
	// Uncommitted work is no part of any revision.
	if err := os.WriteFile(filepath.Join(repo, "k8s", "a.yaml"), []byte("uncommitted\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(repo, "k8s"))
	for _, tc := range []struct {
		ref, path string
		want      string // the content at ref; "" when it does not exist there
		wantShown string
	}{
		{"HEAD~1", "a.yaml", "old\n", "HEAD~1:k8s/a.yaml"},
		{"HEAD~1", "gone.yaml", "gone\n", "HEAD~1:k8s/gone.yaml"},
		{"HEAD~1", "added.yaml", "", ""},
		{"main", "a.yaml", "new\n", "main:k8s/a.yaml"},
		{"main", "../k8s/added.yaml", "added\n", "main:k8s/added.yaml"},
	} {
		t.Run(tc.ref+" "+tc.path, func(t *testing.T) {
			rev, err := CheckoutRevision(tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			defer rev.Close()
			p, exists, err := rev.Path(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if exists != (tc.want != "") {
				t.Fatalf("%s exists at %s: %v, want %v", tc.path, tc.ref, exists, tc.want != "")
			}
			if !exists {
				return
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("%s at %s holds %q, want %q (export-ignore must not leave files out)", tc.path, tc.ref, b, tc.want)
			}
			if got := rev.Shown(p); got != tc.wantShown {
				t.Errorf("shown as %q, want %q", got, tc.wantShown)
			}
		})
	}
	t.Run("the checkout is removed on Close", func(t *testing.T) {
		rev, err := CheckoutRevision("HEAD")
		if err != nil {
			t.Fatal(err)
		}
		p, _, _ := rev.Path("a.yaml")
		rev.Close()
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after Close", p)
		}
	})
}

func TestCheckoutRevisionErrors(t *testing.T) {
	repo := gitRepo(t, map[string]string{"a.yaml": "a\n"})
	outside := t.TempDir()
	for _, tc := range []struct {
		name, dir, ref, path string
		want                 string
	}{
		{name: "an unknown revision", dir: repo, ref: "origin/main", want: "git:origin/main: no such revision in " + repo + " (in CI, fetch it first: a shallow clone holds only the commit checked out)"},
		{name: "a revision that looks like an option", dir: repo, ref: "--all", want: "git:--all: no such revision"},
		{name: "no revision", dir: repo, ref: "", want: "git: give a revision: git:REF, e.g. git:origin/main"},
		{name: "outside a repository", dir: outside, ref: "HEAD", want: "git:HEAD: the current directory is not in a git repository (run it in the repository the inputs are in)"},
		{name: "a path outside the repository", dir: repo, ref: "HEAD", path: filepath.Join(outside, "x.yaml"), want: "git:HEAD: " + outside + "/x.yaml is outside the git repository " + repo + ": only its files have revisions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(outside))
			t.Chdir(tc.dir)
			rev, err := CheckoutRevision(tc.ref)
			if err == nil {
				defer rev.Close()
				_, _, err = rev.Path(tc.path)
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
