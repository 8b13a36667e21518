package load

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Revision is a git revision of the repository the current directory is
// in, checked out into a temporary directory with git itself, so that
// inputs given as paths in the working tree can be read as they were at
// that revision ("diff --base git:REF").
type Revision struct {
	// Ref is the revision as given, Commit the commit it names.
	Ref, Commit string
	// root is the working tree's top directory, tree the checkout's.
	root, tree string
	tmp        string
}

// CheckoutRevision checks out ref into a temporary directory: git
// read-tree into a temporary index, then checkout-index from it. Unlike
// "git archive", that leaves out no export-ignore files, and it touches
// neither the working tree nor the repository's index. Close removes the
// checkout.
func CheckoutRevision(ref string) (*Revision, error) {
	if ref == "" {
		return nil, fmt.Errorf("git: give a revision: git:REF, e.g. git:origin/main")
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, fmt.Errorf("git:%s needs git, which is not on PATH", ref)
	}
	root, err := git("", nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("git:%s: the current directory is not in a git repository (run it in the repository the inputs are in)", ref)
	}
	commit, err := git(root, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("git:%s: no such revision in %s (in CI, fetch it first: a shallow clone holds only the commit checked out)", ref, root)
	}
	tmp, err := os.MkdirTemp("", "kubectl-netpol-base-")
	if err != nil {
		return nil, err
	}
	r := &Revision{Ref: ref, Commit: commit, root: root, tree: filepath.Join(tmp, "tree"), tmp: tmp}
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}
	if _, err := git(root, env, "read-tree", commit); err != nil {
		r.Close()
		return nil, fmt.Errorf("git:%s: %w", ref, err)
	}
	if _, err := git(root, env, "checkout-index", "--all", "--force", "--prefix="+r.tree+string(filepath.Separator)); err != nil {
		r.Close()
		return nil, fmt.Errorf("git:%s: %w", ref, err)
	}
	if err := os.MkdirAll(r.tree, 0o755); err != nil { // an empty tree checks out nothing
		r.Close()
		return nil, err
	}
	return r, nil
}

// Close removes the checkout.
func (r *Revision) Close() error { return os.RemoveAll(r.tmp) }

// Path is where path, a path in the working tree, is in the checkout;
// exists tells whether it is there (a file the change adds is not). A
// path outside the repository has no revision: an error.
func (r *Revision) Path(path string) (p string, exists bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false, err
	}
	// The links of the directories above are resolved (the top directory
	// git names is), not a link the path itself is: at the revision it may
	// be another.
	rel, err := filepath.Rel(r.root, filepath.Join(resolveLinks(filepath.Dir(abs)), filepath.Base(abs)))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false, fmt.Errorf("git:%s: %s is outside the git repository %s: only its files have revisions", r.Ref, path, r.root)
	}
	p = filepath.Join(r.tree, rel)
	_, err = os.Lstat(p)
	return p, err == nil, nil
}

// resolveLinks resolves the symbolic links of an absolute path, as git's
// --show-toplevel has them resolved, as far as the path exists.
func resolveLinks(abs string) string {
	var rest []string
	for p := abs; ; p = filepath.Dir(p) {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{real}, rest...)...)
		}
		if filepath.Dir(p) == p {
			return abs
		}
		rest = append([]string{filepath.Base(p)}, rest...)
	}
}

// git runs git in dir (the current directory when empty) with env added,
// and returns its output, trimmed; an error carries git's message.
func git(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if msg := strings.TrimSpace(stderr.String()); msg != "" && errors.As(err, &exit) {
			return "", errors.New(strings.TrimPrefix(msg, "fatal: "))
		}
		return "", err
	}
	return strings.TrimSpace(out.String()), nil
}

// Shown names a path of the checkout as git does, REF:PATH (the path from
// the top of the repository); other paths as they are.
func (r *Revision) Shown(path string) string {
	rel, ok := strings.CutPrefix(path, r.tree+string(filepath.Separator))
	if !ok {
		return path
	}
	return r.Ref + ":" + filepath.ToSlash(rel)
}
