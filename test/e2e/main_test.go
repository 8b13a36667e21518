// Package e2e runs kubectl netpol against a real kube-apiserver with etcd on
// 127.0.0.1, started by envtest from binaries built by .ci/k8s-bins.sh. It
// is its own module so the product never depends on controller-runtime.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

var (
	env *envtest.Environment
	// admin is a client with every right; adminKubeconfig its kubeconfig.
	admin           kubernetes.Interface
	adminKubeconfig string
	// binary is kubectl-netpol built from this checkout; rusageBinary
	// the helper that measures a run of it (internal/rusage).
	binary, rusageBinary string
	// workDir holds kubeconfigs and the binary.
	workDir string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("TEST_ASSET_KUBE_APISERVER") == "" && os.Getenv("KUBEBUILDER_ASSETS") == "" {
		code, msg := withoutBinaries(os.Getenv)
		fmt.Fprintln(os.Stderr, msg)
		return code
	}
	var err error
	workDir, err = os.MkdirTemp("", "netpol-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)

	binary = filepath.Join(workDir, "bin", "kubectl-netpol")
	rusageBinary = filepath.Join(workDir, "bin", "rusage")
	for out, pkg := range map[string]string{
		binary:       "github.com/kubectl-netpol/kubectl-netpol/cmd/kubectl-netpol",
		rusageBinary: "github.com/kubectl-netpol/kubectl-netpol/test/e2e/internal/rusage",
	} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: build %s: %v\n", pkg, err)
			return 1
		}
	}

	ctrllog.SetLogger(logr.Discard())
	env = &envtest.Environment{ControlPlaneStartTimeout: 2 * time.Minute, ControlPlaneStopTimeout: time.Minute}
	start := time.Now()
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start kube-apiserver and etcd:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stop:", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "e2e: kube-apiserver and etcd up in %s at %s\n", time.Since(start).Round(time.Millisecond), cfg.Host)

	adminKubeconfig, admin, err = newUser(cfg, "e2e-admin", "system:masters")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if err := seedThreeTier(context.Background(), admin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: seed the three-tier example:", err)
		return 1
	}
	return m.Run()
}

// withoutBinaries is what a run without the kube-apiserver and etcd
// binaries does: it fails, since "ok" having run nothing reads as a pass;
// only NETPOL_E2E_SKIP=1, outside CI, skips, and says so loudly.
func withoutBinaries(getenv func(string) string) (code int, msg string) {
	msg = "e2e: no kube-apiserver/etcd binaries (make e2e builds them; or export $(bash .ci/k8s-bins.sh --env))"
	switch {
	case getenv("CI") != "":
		return 1, msg + "; CI is set, so this is a failure"
	case getenv("NETPOL_E2E_SKIP") == "1":
		return 0, msg + "; NETPOL_E2E_SKIP=1: SKIPPED, NOT ONE END-TO-END TEST RAN"
	}
	return 1, msg + "; failing (NETPOL_E2E_SKIP=1 skips them)"
}

// kubectlBinary is the kubectl of the test assets: TEST_ASSET_KUBECTL, or
// the one in KUBEBUILDER_ASSETS.
func kubectlBinary() string {
	if k := os.Getenv("TEST_ASSET_KUBECTL"); k != "" {
		return k
	}
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return filepath.Join(dir, "kubectl")
	}
	return ""
}

// newUser provisions a user (authenticated by client certificate) and
// writes its kubeconfig; RBAC decides what it may do.
func newUser(base *rest.Config, name string, groups ...string) (string, kubernetes.Interface, error) {
	u, err := env.AddUser(envtest.User{Name: name, Groups: groups}, base)
	if err != nil {
		return "", nil, fmt.Errorf("add user %s: %w", name, err)
	}
	kc, err := u.KubeConfig()
	if err != nil {
		return "", nil, fmt.Errorf("kubeconfig of %s: %w", name, err)
	}
	path := filepath.Join(workDir, name+".kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		return "", nil, err
	}
	client, err := kubernetes.NewForConfig(u.Config())
	if err != nil {
		return "", nil, err
	}
	return path, client, nil
}

// userKubeconfig provisions a user for one test.
func userKubeconfig(t *testing.T, name string) string {
	t.Helper()
	path, _, err := newUser(env.Config, name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}
