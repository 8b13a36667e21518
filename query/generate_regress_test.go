package query_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Rules of generation the property test (generate_prop_test.go) found
// broken, each on the smallest application that shows it.

func genDeployment(ns, name string, lbls map[string]string, ports ...corev1.ContainerPort) *appsv1.Deployment {
	return &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: lbls},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbls}, Spec: podSpec(ports)}}}
}

func genNP(ns, name string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}
}

func genRequest(t *testing.T, flows ...[2]string) []query.GenerateFlow {
	t.Helper()
	var out []query.GenerateFlow
	for _, f := range flows {
		ff, err := query.ParseFlow([]string{f[0], f[1]})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, query.GenerateFlow{Where: "test", From: f[0], To: f[1], Allow: true, Flow: ff})
	}
	return out
}

func generated(g *query.Generated, name string) *networkingv1.NetworkPolicy {
	for _, p := range g.Policies {
		if p.Name == name {
			np, _ := p.Object.(*networkingv1.NetworkPolicy)
			return np
		}
	}
	return nil
}

// alsoAllowed lists the proof's over-permission as "SRC -> DST: PORTS".
func alsoAllowed(g *query.Generated) []string {
	var out []string
	for _, op := range g.Proof.AlsoAllowed {
		for _, f := range op.Flows {
			if !strings.Contains(f.Destination, "kube-system/") {
				out = append(out, f.Source+" -> "+f.Destination+": "+f.Ports.String())
			}
		}
	}
	slices.Sort(out)
	return out
}

var httpPort = corev1.ContainerPort{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}

func TestGenerateRegressions(t *testing.T) {
	web := genDeployment("x", "web", map[string]string{"app": "web"}, httpPort)
	api := genDeployment("x", "api", map[string]string{"app": "api"})
	tests := []struct {
		name  string
		objs  []runtime.Object
		flows [][2]string
		opts  query.GenerateOptions
		check func(t *testing.T, snap *query.Snapshot, g *query.Generated)
	}{
		{
			name:  "replaced policies a generated one overwrites by name are not to be deleted after it is applied",
			objs:  []runtime.Object{web, api, genNP("x", "default-deny"), genNP("x", "web"), genNP("x", "legacy")},
			flows: [][2]string{{"x/deploy/api", "x/deploy/web:80"}},
			opts:  query.GenerateOptions{Replace: true},
			check: func(t *testing.T, snap *query.Snapshot, g *query.Generated) {
				want := []query.ObjectRef{{Kind: "NetworkPolicy", Namespace: "x", Name: "legacy"}}
				if diff := cmp.Diff(want, g.Removes); diff != "" {
					t.Errorf("removes (-want +got):\n%s", diff)
				}
				var objs []runtime.Object
				for _, p := range g.Policies {
					objs = append(objs, p.Object)
				}
				after, err := snap.With(objs...)
				if err == nil {
					after, err = after.Without(g.Removes...)
				}
				if err != nil {
					t.Fatal(err)
				}
				f, _ := query.ParseFlow([]string{"x/deploy/api", "x/deploy/web:80"})
				if ans, err := after.Can(f, "x"); err != nil || !ans.Allowed {
					t.Errorf("applied, then the removes deleted: the required flow is not allowed (%v)", err)
				}
			},
		},
		{
			name: "an ingress port is named only when every pod the selector selects gives it that name",
			objs: []runtime.Object{web, api, &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "toolbox", Labels: map[string]string{"app": "web"}},
				Spec:       podSpec([]corev1.ContainerPort{{Name: "http", ContainerPort: 8000, Protocol: corev1.ProtocolTCP}})}},
			flows: [][2]string{{"x/deploy/api", "x/deploy/web:80"}},
			check: func(t *testing.T, _ *query.Snapshot, g *query.Generated) {
				port := generated(g, "web").Spec.Ingress[0].Ports[0].Port
				if diff := cmp.Diff(intstr.FromInt32(80), *port); diff != "" {
					t.Errorf("port of the rule that also selects pod x/toolbox, whose http is 8000 (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:  "an ingress port is named when the workload's pods alone give it the name",
			objs:  []runtime.Object{web, api},
			flows: [][2]string{{"x/deploy/api", "x/deploy/web:80"}},
			check: func(t *testing.T, _ *query.Snapshot, g *query.Generated) {
				port := generated(g, "web").Spec.Ingress[0].Ports[0].Port
				if diff := cmp.Diff(intstr.FromString("http"), *port); diff != "" {
					t.Errorf("port (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "what the policy of a workload named default-deny allows is over-permission, not a default deny",
			objs: []runtime.Object{genDeployment("x", "default-deny", map[string]string{"app": "a"}),
				genDeployment("x", "twin", map[string]string{"app": "a"})},
			flows: [][2]string{{"x/deploy/default-deny", "192.0.2.10:443"}},
			check: func(t *testing.T, _ *query.Snapshot, g *query.Generated) {
				if generated(g, "default-deny-generated") == nil {
					t.Fatalf("no policy default-deny-generated: the case no longer shows the rule")
				}
				want := []string{"deployment x/twin -> 192.0.2.10/32: TCP 443"}
				if diff := cmp.Diff(want, alsoAllowed(g)); diff != "" {
					t.Errorf("also allowed (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:  "addresses merged into one range are required, not over-permission",
			objs:  []runtime.Object{web},
			flows: [][2]string{{"x/deploy/web", "192.0.2.10:443"}, {"x/deploy/web", "192.0.2.11:443"}},
			check: func(t *testing.T, _ *query.Snapshot, g *query.Generated) {
				if cidr := generated(g, "web").Spec.Egress[0].To[0].IPBlock.CIDR; cidr != "192.0.2.10/31" {
					t.Fatalf("egress to %s, want 192.0.2.10/31: the case no longer shows the rule", cidr)
				}
				if got := alsoAllowed(g); len(got) > 0 {
					t.Errorf("also allowed beyond DNS: %v", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, err := query.NewSnapshot(tt.objs, query.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			g, err := snap.Generate(genRequest(t, tt.flows...), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !g.Proof.Holds {
				t.Errorf("the proof does not hold: %+v", g.Proof.Required)
			}
			tt.check(t, snap, g)
		})
	}
}
