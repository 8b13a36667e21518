package plugin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gitRepo makes a throwaway git repository on branch main holding the
// trees (repository path -> directory to copy) in one commit, and returns
// its directory. git's own configuration is kept out.
func gitRepo(t *testing.T, trees map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"GIT_CONFIG_GLOBAL": os.DevNull, "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
		"GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com",
	} {
		t.Setenv(k, v)
	}
	for to, from := range trees {
		copyTree(t, from, filepath.Join(dir, to))
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "the state on main")
	return dir
}

// runIn runs kubectl netpol in dir, in a subtest (which the working
// directory is restored after: the golden files are found from the
// package's).
func runIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	var r result
	t.Run("in "+filepath.Base(dir), func(t *testing.T) {
		t.Chdir(dir)
		r = run(t, "", args...)
	})
	return r
}

// git runs git in dir.
func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// edit changes files of a directory: content replaces a file's, or
// removes the file when empty; a pair of strings replaces old by new.
func edit(t *testing.T, dir string, changes map[string][]string) {
	t.Helper()
	for name, change := range changes {
		p := filepath.Join(dir, name)
		switch len(change) {
		case 0:
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		case 1:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(change[0]), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), change[0]) {
			t.Fatalf("%s does not hold %q", name, change[0])
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), change[0], change[1], 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// prChange is the change a pull request makes to the kustomize fixture:
// the redis-cart policy deleted from the component, the load generator
// deleted from the base, and the checkout service opened to the cart
// service.
var prChange = map[string][]string{
	"components/network-policies/network-policy-redis-cart.yaml": nil,
	"components/network-policies/kustomization.yaml":             {"- network-policy-redis-cart.yaml\n", ""},
	"base/kustomization.yaml":                                    {"- loadgenerator.yaml\n", ""},
	"components/network-policies/network-policy-checkoutservice.yaml": {
		"          app: frontend\n",
		"          app: frontend\n    - podSelector:\n        matchLabels:\n          app: cartservice\n",
	},
}

func TestDiffBaseGitIsThePRGate(t *testing.T) {
	repo := gitRepo(t, map[string]string{"deploy": kustomizeDir})
	edit(t, filepath.Join(repo, "deploy"), prChange)
	r := runIn(t, repo, "diff", "--base", "git:main", "-k", "deploy/overlays/prod")
	if r.code != ExitNo {
		t.Fatalf("exit %d, want 1 (changes); stderr:\n%s", r.code, r.stderr)
	}
	golden(t, "diff/base-git-kustomize.txt", r.stdout)
	// Committed, the change is the same from the branch's parent.
	git(t, repo, "commit", "-q", "-am", "the pull request")
	again := runIn(t, repo, "diff", "--base", "git:HEAD~1", "-k", "deploy/overlays/prod")
	if diff := cmp.Diff(r.stdout, again.stdout); diff != "" || again.code != ExitNo {
		t.Errorf("diff --base git:HEAD~1 after the commit, exit %d (-uncommitted +committed):\n%s", again.code, diff)
	}
	// And from a subdirectory, the paths taken from there.
	overlays := filepath.Join(repo, "deploy", "overlays")
	sub := runIn(t, overlays, "diff", "--base", "git:HEAD~1", "-k", "prod")
	if diff := cmp.Diff(r.stdout, sub.stdout); diff != "" {
		t.Errorf("diff from a subdirectory (-root +subdirectory):\n%s", diff)
	}
	none := runIn(t, overlays, "diff", "--base", "git:HEAD", "-k", "prod")
	if none.code != ExitOK {
		t.Errorf("diff --base git:HEAD on a clean tree: exit %d, want 0; stdout:\n%s", none.code, none.stdout)
	}
}

// TestDiffBaseIsWithAndWithout pins the meaning of --base: the change
// from the base to the inputs is the base's objects replaced by the
// inputs' (--with) and those only in the base deleted (--without).
func TestDiffBaseIsWithAndWithout(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, kustomizeDir, dir)
	edit(t, dir, prChange)
	head := filepath.Join(dir, "overlays", "prod")
	base := renderedGolden("kustomize-prod.yaml")
	got := run(t, "", "diff", "-o", "json", "--base", base, "-k", head)
	want := run(t, "", "diff", "-o", "json", "-f", base, "--with", head,
		"--without", "networkpolicy/prod/redis-cart", "--without", "deployment/prod/loadgenerator", "--without", "networkpolicy/prod/loadgenerator")
	if got.code != ExitNo {
		t.Fatalf("exit %d, want 1; stderr:\n%s", got.code, got.stderr)
	}
	if diff := cmp.Diff(want.stdout, got.stdout); diff != "" {
		t.Errorf("diff --base (-with/without +base):\n%s", diff)
	}
	// The kustomize directory is found for what it is, as with -k.
	dirBase := run(t, "", "diff", "-o", "json", "--base", filepath.Join(kustomizeDir, "overlays", "prod"), "-k", head)
	if diff := cmp.Diff(got.stdout, dirBase.stdout); diff != "" {
		t.Errorf("diff --base DIR (-rendered YAML +kustomize directory):\n%s", diff)
	}
	same := run(t, "", "diff", "--base", base, "-k", filepath.Join(kustomizeDir, "overlays", "prod"))
	if same.code != ExitOK {
		t.Errorf("diff --base of the overlay's own rendering: exit %d, want 0:\n%s", same.code, same.stdout)
	}
}

func TestDiffBaseGitHelm(t *testing.T) {
	repo := gitRepo(t, map[string]string{"charts/shop": shopChart, "cluster": filepath.Dir(shopCluster)})
	// The pull request moves the ingress controller to traefik and adds a
	// values file that turns the metrics on.
	edit(t, repo, map[string][]string{
		"charts/shop/values.yaml": {"ingressNamespace: ingress-nginx", "ingressNamespace: traefik"},
		"values-metrics.yaml":     {"networkPolicy:\n  metrics:\n    enabled: true\n"},
	})
	r := runIn(t, repo, "diff", "--base", "git:main", "--helm", "charts/shop", "--values", "values-metrics.yaml", "-n", "shop", "-f", "cluster/cluster.yaml")
	if r.code != ExitNo {
		t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	golden(t, "diff/base-git-helm.txt", r.stdout)
	if want := "does not have values-metrics.yaml: the base holds nothing from there\n"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not note the values file the base lacks (%q):\n%s", want, r.stderr)
	}
}

func TestDiffBaseErrors(t *testing.T) {
	repo := gitRepo(t, map[string]string{"deploy": kustomizeDir})
	outside := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(outside))
	prod := "deploy/overlays/prod"
	for _, tc := range []struct {
		name string
		dir  string
		args []string
		want string
	}{
		{"an unknown revision", repo, []string{"--base", "git:origin/main", "-k", prod}, "--base git:origin/main: no such revision in " + repo + " (in CI, fetch it first: a shallow clone holds only the commit checked out)"},
		{"outside a git repository", outside, []string{"--base", "git:main", "-k", filepath.Join(repo, prod)}, "--base git:main: the current directory is not in a git repository (run it in the repository the inputs are in)"},
		{"an input outside the repository", repo, []string{"--base", "git:main", "-k", prod, "-f", filepath.Join(outside)}, "--base git:main: " + outside + " is outside the git repository " + repo + ": only its files have revisions"},
		{"standard input", repo, []string{"--base", "git:main", "-k", prod, "-f", "-"}, "--base git:main: standard input has no revision: give the manifests as files"},
		{"a revision and paths", repo, []string{"--base", "git:main", "--base", prod, "-k", prod}, "--base git:main stands alone: the inputs at that revision are the whole base"},
		{"paths and a revision", repo, []string{"--base", prod, "--base", "git:main", "-k", prod}, "--base git:REF stands alone: the inputs at that revision are the whole base"},
		{"no state after", repo, []string{"--base", "git:main"}, "--base compares two complete states: give the state after with -f, -k or --helm"},
		{"a base that is not there", repo, []string{"--base", "nope.yaml", "-k", prod}, `--base: the path "nope.yaml" does not exist`},
		{"a broken kustomization at the revision", repo, []string{"--base", "git:main", "-k", "deploy/base/kustomization.yaml"}, "--base: -k main:deploy/base/kustomization.yaml: not a directory: -k takes a directory holding a kustomization.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(tc.dir)
			r := run(t, "-", append([]string{"diff"}, tc.args...)...)
			if want := "error: " + tc.want + "\n"; r.code != ExitError || r.stderr != want {
				t.Errorf("exit %d, stderr %q; want 2 and the one line %q", r.code, r.stderr, want)
			}
		})
	}
}
