package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/plugin"
)

// questions are asked of the live cluster and of the manifests; the
// verdicts and allowed port sets must agree.
var questions = [][]string{
	{"api", "db:3306"},
	{"web", "db:3306"},
	{"db", "192.168.5.10:80"},
	{"db", "192.168.5.11:80"},
	{"dev/api", "prod/db:3306"},
	{"api", "db:mysql"},
	{"api", "db"},
	{"web", "svc/db"},
	{"role=web", "svc/api:http"},
	{"203.0.113.9", "web:80"},
	{"api", "kube-system/coredns:53/udp"},
	{"deploy/api", "dev/deploy/db:3306"},
}

type result struct {
	stdout, stderr string
	code           int
}

// runInProcess runs the command as main does, with the REST config wrapped
// by wrap (nil for none).
func runInProcess(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper, args ...string) result {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cf := genericclioptions.NewConfigFlags(true)
	if wrap != nil {
		cf.WrapConfigFn = func(c *rest.Config) *rest.Config {
			c.Wrap(wrap)
			return c
		}
	}
	cmd := plugin.NewCmdNetpolWithConfig(streams, cf)
	cmd.SetArgs(args)
	err := cmd.Execute()
	code := plugin.ExitCode(err)
	if code == plugin.ExitError {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	return result{out.String(), errOut.String(), code}
}

// runBinary runs the built kubectl-netpol.
func runBinary(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "KUBECONFIG=/nonexistent")
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", binary, err)
	}
	return result{out.String(), errOut.String(), code}
}

type verdict struct {
	Allowed      bool            `json:"allowed"`
	AllowedPorts json.RawMessage `json:"allowedPorts"`
}

func parseVerdict(t *testing.T, r result) verdict {
	t.Helper()
	var v verdict
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("not JSON (exit %d): %v\nstdout: %s\nstderr: %s", r.code, err, r.stdout, r.stderr)
	}
	return v
}

// TestLiveAgreesWithManifests: the example applied to a real server gives
// the same verdicts through --kubeconfig (in-process and as a built binary)
// as through -f.
func TestLiveAgreesWithManifests(t *testing.T) {
	for _, q := range questions {
		t.Run(strings.Join(q, " "), func(t *testing.T) {
			offline := runInProcess(t, nil, append([]string{"can", "-o", "json", "-f", threeTier, "-n", "prod"}, q...)...)
			live := runInProcess(t, nil, append([]string{"can", "-o", "json", "--kubeconfig", adminKubeconfig, "-n", "prod"}, q...)...)
			bin := runBinary(t, append([]string{"can", "-o", "json", "--kubeconfig", adminKubeconfig, "-n", "prod"}, q...)...)
			if offline.code == 2 || live.code != offline.code || bin.code != offline.code {
				t.Fatalf("exit codes: -f %d, live %d, binary %d\n-f stderr: %s\nlive stderr: %s\nbinary stderr: %s", offline.code, live.code, bin.code, offline.stderr, live.stderr, bin.stderr)
			}
			want, got, gotBin := parseVerdict(t, offline), parseVerdict(t, live), parseVerdict(t, bin)
			if got.Allowed != want.Allowed || !bytes.Equal(got.AllowedPorts, want.AllowedPorts) || !bytes.Equal(gotBin.AllowedPorts, want.AllowedPorts) {
				t.Errorf("live %+v, binary %+v, manifests %+v", got, gotBin, want)
			}
		})
	}
}

// TestLiveTextNamesRealPods: against a cluster, workloads mean their real
// pods, found through ReplicaSet -> Deployment owner references.
func TestLiveTextNamesRealPods(t *testing.T) {
	r := runInProcess(t, nil, "can", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"ALLOWED  deployment prod/api -> deployment prod/db", "prod/api-7d9f8b6c5-abcde, prod/api-7d9f8b6c5-bbcde -> prod/db-7d9f8b6c5-abcde: allowed on TCP 3306", "by prod/db spec.ingress[0].from[0] + ports[0]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestNamespaceFromContext: unqualified names use the kubeconfig context's
// namespace when -n is not given.
func TestNamespaceFromContext(t *testing.T) {
	kc := filepath.Join(workDir, "prod-context.kubeconfig")
	b, err := os.ReadFile(adminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg["contexts"].([]any) {
		c.(map[string]any)["context"].(map[string]any)["namespace"] = "prod"
	}
	out, _ := yaml.Marshal(cfg)
	if err := os.WriteFile(kc, out, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kc)
	if r := runInProcess(t, nil, "can", "-q", "api", "db:3306"); r.code != 0 {
		t.Errorf("KUBECONFIG with namespace prod: exit %d: %s", r.code, r.stderr)
	}
}

// bindRole creates a ClusterRole from YAML and binds it to a new user;
// it returns the user's kubeconfig.
func bindRole(t *testing.T, user string, role *rbacv1.ClusterRole) string {
	t.Helper()
	ctx := context.Background()
	role.Name = user + "-role"
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user + "-binding"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: user}},
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return userKubeconfig(t, user)
}

func documentedRole(t *testing.T) *rbacv1.ClusterRole {
	t.Helper()
	b, err := os.ReadFile("../../testdata/rbac/clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(b, role); err != nil {
		t.Fatal(err)
	}
	return role
}

// TestDocumentedClusterRoleIsEnough proves the README's RBAC claim: a user
// with only the shipped read-only ClusterRole gets every answer.
func TestDocumentedClusterRoleIsEnough(t *testing.T) {
	role := documentedRole(t)
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v != "get" && v != "list" {
				t.Errorf("the documented role grants %q on %v: it must be read-only", v, r.Resources)
			}
		}
	}
	kc := bindRole(t, "netpol-reader", role)
	for _, q := range questions {
		want := runInProcess(t, nil, append([]string{"can", "-q", "--kubeconfig", adminKubeconfig, "-n", "prod"}, q...)...)
		got := runInProcess(t, nil, append([]string{"can", "-q", "--kubeconfig", kc, "-n", "prod"}, q...)...)
		if got.code != want.code || withoutCNIWarning(got.stderr) != "" {
			t.Errorf("can %v as netpol-reader: exit %d (admin: %d), stderr: %s", q, got.code, want.code, got.stderr)
		}
	}
}

// TestUnreadablePoliciesFailClosed: a user who cannot list NetworkPolicies
// never gets "allowed" or "denied", only exit 2 and what could not be read.
func TestUnreadablePoliciesFailClosed(t *testing.T) {
	role := documentedRole(t)
	var rules []rbacv1.PolicyRule
	for _, r := range role.Rules {
		if !slices.Contains(r.Resources, "networkpolicies") {
			rules = append(rules, r)
		}
	}
	role.Rules = rules
	kc := bindRole(t, "no-netpol", role)
	for _, q := range [][]string{{"api", "db:3306"}, {"web", "db:3306"}} {
		for _, r := range []result{
			runInProcess(t, nil, append([]string{"can", "--kubeconfig", kc, "-n", "prod"}, q...)...),
			runBinary(t, append([]string{"can", "--kubeconfig", kc, "-n", "prod"}, q...)...),
		} {
			if r.code != 2 {
				t.Errorf("can %v without NetworkPolicy access: exit %d, want 2\nstdout: %s", q, r.code, r.stdout)
			}
			if !strings.Contains(r.stderr, "cannot list networkpolicies in namespace prod") || !strings.Contains(r.stderr, "forbidden") {
				t.Errorf("stderr should say what could not be read and why: %q", r.stderr)
			}
		}
	}
}

// TestUnreadableServicesWarnOrFail: services are only needed to resolve a
// service endpoint; without them other answers stand, with a warning.
func TestUnreadableServicesWarnOrFail(t *testing.T) {
	role := documentedRole(t)
	for i, r := range role.Rules {
		role.Rules[i].Resources = slices.DeleteFunc(slices.Clone(r.Resources), func(s string) bool { return s == "services" })
	}
	kc := bindRole(t, "no-services", role)
	r := runInProcess(t, nil, "can", "-q", "--kubeconfig", kc, "-n", "prod", "api", "db:3306")
	if r.code != 0 || !strings.Contains(r.stderr, "Warning: cannot list services in namespace prod") {
		t.Errorf("services not needed: exit %d (want 0) and a warning; stderr: %q", r.code, r.stderr)
	}
	r = runInProcess(t, nil, "can", "-q", "--kubeconfig", kc, "-n", "prod", "web", "svc/db:3306")
	if r.code != 2 || !strings.Contains(r.stderr, "services in namespace prod could not be read") {
		t.Errorf("service endpoint without services access: exit %d (want 2); stderr: %q", r.code, r.stderr)
	}
}

// requestLog counts the requests a command makes and remembers their paths.
type requestLog struct {
	n     atomic.Int64
	mu    sync.Mutex
	paths []string
}

func (l *requestLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		l.n.Add(1)
		l.mu.Lock()
		l.paths = append(l.paths, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
		l.mu.Unlock()
		return rt.RoundTrip(req)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestScopedReads: with thousands of pods in unrelated namespaces, "can"
// reads only the endpoints' namespaces: a fixed number of requests, none of
// them about the unrelated pods.
func TestScopedReads(t *testing.T) {
	const namespaces, podsPerNamespace = 20, 100
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, namespaces)
	for n := range namespaces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns := fmt.Sprintf("unrelated-%02d", n)
			if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				errs <- err
				return
			}
			for i := range podsPerNamespace {
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("filler-%03d", i), Labels: map[string]string{"role": "api"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
				}
				if _, err := admin.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		max  int64
	}{
		// namespaces + the list of API groups (GET /apis, without
		// policy.networking.k8s.io: no cluster policy CRDs) + (pods,
		// networkpolicies, 8 kinds that name workloads) in prod + the
		// CNI check: daemonsets cluster-wide, and deployments since no
		// DaemonSet names a plugin here
		{[]string{"api", "db:3306"}, 14},
		// the same for two namespaces
		{[]string{"dev/api", "prod/db:3306"}, 24},
		// plus one cluster-wide pod lookup by IP (field selector)
		{[]string{"db", "192.168.5.10:80"}, 15},
	} {
		log := &requestLog{}
		r := runInProcess(t, log.wrap, append([]string{"can", "-q", "--kubeconfig", adminKubeconfig, "-n", "prod"}, tc.args...)...)
		if r.code == 2 {
			t.Fatalf("can %v: %s", tc.args, r.stderr)
		}
		t.Logf("can %v: %d requests with %d pods in the cluster", tc.args, log.n.Load(), namespaces*podsPerNamespace)
		if log.n.Load() > tc.max {
			t.Errorf("can %v made %d requests, want at most %d:\n%s", tc.args, log.n.Load(), tc.max, strings.Join(log.paths, "\n"))
		}
		for _, p := range log.paths {
			if strings.Contains(p, "unrelated-") || (strings.Contains(p, "/pods") && !strings.Contains(p, "/namespaces/") && !strings.Contains(p, "fieldSelector")) {
				t.Errorf("can %v read outside its scope: %s", tc.args, p)
			}
			if !strings.HasPrefix(p, "GET ") {
				t.Errorf("can %v wrote to the cluster: %s", tc.args, p)
			}
		}
	}
}

// TestPaginatedLists: lists use limit/continue in chunks of --chunk-size;
// --chunk-size 0 lists each kind in one request, as in kubectl, and a
// negative size is a flag error.
func TestPaginatedLists(t *testing.T) {
	log := &requestLog{}
	r := runInProcess(t, log.wrap, "can", "-q", "--chunk-size", "1", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var continued int
	for _, p := range log.paths {
		if strings.Contains(p, "continue=") {
			continued++
		}
		if strings.HasPrefix(p, "GET /apis?") {
			continue // the list of API groups, not a list of objects
		}
		if !strings.Contains(p, "limit=1") {
			t.Errorf("request without limit=1: %s", p)
		}
	}
	if continued == 0 {
		t.Errorf("no request used continue; prod has 5 pods, so pods need 5 pages:\n%s", strings.Join(log.paths, "\n"))
	}

	log = &requestLog{}
	r = runInProcess(t, log.wrap, "can", "-q", "--chunk-size", "0", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
	if r.code != 0 {
		t.Fatalf("--chunk-size 0: exit %d: %s", r.code, r.stderr)
	}
	if n := countPaths(log.paths, "limit="); n > 0 || countPaths(log.paths, "continue=") > 0 {
		t.Errorf("--chunk-size 0: %d requests with a limit, want none:\n%s", n, strings.Join(log.paths, "\n"))
	}

	r = runBinary(t, "can", "-q", "--chunk-size", "-1", "--kubeconfig", adminKubeconfig, "-n", "prod", "api", "db:3306")
	if r.code != 2 || !strings.Contains(r.stderr, `invalid argument "-1" for "--chunk-size" flag`) {
		t.Errorf("--chunk-size -1: exit %d (want 2), stderr %q", r.code, r.stderr)
	}
}

// TestKubectlFindsThePlugin: kubectl discovers kubectl-netpol on PATH.
func TestKubectlFindsThePlugin(t *testing.T) {
	kubectl := kubectlBinary()
	if kubectl == "" {
		t.Fatal("no kubectl: set TEST_ASSET_KUBECTL (make e2e does)")
	}
	cmd := exec.Command(kubectl, "netpol", "can", "api", "db:3306", "-n", "prod", "--kubeconfig", adminKubeconfig)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ALLOWED") {
		t.Fatalf("kubectl netpol: %v\n%s", err, out)
	}
	cmd = exec.Command(kubectl, "netpol", "can", "web", "db:3306", "-n", "prod", "--kubeconfig", adminKubeconfig)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var exit *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("kubectl netpol can web db:3306: %v, want exit status 1", err)
	}
}

// withoutCNIWarning drops the warning a bare API server (no network plugin)
// always gets.
func withoutCNIWarning(stderr string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l != "" && !strings.Contains(l, "no known network plugin found") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
