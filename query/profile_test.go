package query

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// hostNetPod is a host-network pod at a node's address.
func hostNetPod(key, lbls, ip string) *corev1.Pod {
	p := testPod(key, lbls, ip)
	p.Spec.HostNetwork = true
	return p
}

// onNode puts a pod on a node.
func onNode(p *corev1.Pod, node string) *corev1.Pod {
	p.Spec.NodeName = node
	return p
}

// TestProfiles pins what each behaviour of a network plugin changes, and
// that a behaviour the profile leaves unknown makes exactly the verdicts
// that depend on it undecided.
func TestProfiles(t *testing.T) {
	type verdict struct {
		allowed, decided bool
		dependsOn        []string
	}
	allowed := verdict{allowed: true, decided: true}
	denied := verdict{decided: true}
	undecided := func(on ...Behaviour) verdict {
		v := verdict{}
		for _, b := range on {
			v.dependsOn = append(v.dependsOn, b.Question())
		}
		return v
	}
	egressToPodCIDR := `
metadata: {name: to-pod-cidr}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16}}]}]`
	denyDev := testClusterPolicies(t, `
metadata: {name: deny-dev}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {env: prod}}}
  ingress:
  - {name: no-dev, action: Deny, from: [{namespaces: {matchLabels: {env: dev}}}]}`)
	denyAllIngress := `
metadata: {name: deny}
spec:
  podSelector: {}`
	tests := []struct {
		name     string
		profile  Profile
		policies string
		extra    []runtime.Object
		src, dst string
		want     verdict
	}{
		{"a pod's own node always reaches it: a host-network pod on that node passes a default deny", SpecProfile(), denyAllIngress,
			[]runtime.Object{onNode(hostNetPod("x/agent", "app=agent", "10.0.9.9"), "n1"), onNode(testPod("x/web", "app=web", "10.0.0.7"), "n1")}, "x/agent", "x/web:80", allowed},
		{"and a pod always reaches its own node: egress to a host-network pod on that node passes a default deny", SpecProfile(), `
metadata: {name: deny-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]`,
			[]runtime.Object{onNode(hostNetPod("x/agent", "app=agent", "10.0.9.9"), "n1"), onNode(testPod("x/web", "app=web", "10.0.0.7"), "n1")}, "x/web", "x/agent:80", allowed},
		{"a host-network pod on another node does not", SpecProfile(), denyAllIngress,
			[]runtime.Object{onNode(hostNetPod("x/agent", "app=agent", "10.0.9.9"), "n2"), onNode(testPod("x/web", "app=web", "10.0.0.7"), "n1")}, "x/agent", "x/web:80", denied},
		{"a plugin that subjects node traffic to policy: denied", SpecProfile().With(BehaviourNodeToPod, No, ""), denyAllIngress,
			[]runtime.Object{onNode(hostNetPod("x/agent", "app=agent", "10.0.9.9"), "n1"), onNode(testPod("x/web", "app=web", "10.0.0.7"), "n1")}, "x/agent", "x/web:80", denied},
		{"whether node traffic passes is unknown: undecided", SpecProfile().With(BehaviourNodeToPod, Unknown, ""), denyAllIngress,
			[]runtime.Object{onNode(hostNetPod("x/agent", "app=agent", "10.0.9.9"), "n1"), onNode(testPod("x/web", "app=web", "10.0.0.7"), "n1")}, "x/agent", "x/web:80", undecided(BehaviourNodeToPod)},
		{"a plugin that enforces the cluster tiers: the Admin Deny holds", SpecProfile(), "", denyDev, "y/a", "x/a:80", denied},
		{"a plugin that does not: judged without the cluster policies", SpecProfile().With(BehaviourClusterPolicies, No, ""), "", denyDev, "y/a", "x/a:80", allowed},
		{"whether it does is unknown: undecided", SpecProfile().With(BehaviourClusterPolicies, Unknown, ""), "", denyDev, "y/a", "x/a:80", undecided(BehaviourClusterPolicies)},
		{"spec: an egress ipBlock covering the pod CIDR allows pod-to-pod traffic", SpecProfile(), egressToPodCIDR, nil, "x/a", "x/b:80", allowed},
		{"cilium: an egress ipBlock covering the pod CIDR does not allow pod-to-pod traffic", mustProfile(t, "cilium"), egressToPodCIDR, nil, "x/a", "x/b:80", denied},
		{"cilium: the ipBlock still allows an address outside the cluster", mustProfile(t, "cilium"), egressToPodCIDR, nil, "x/a", "10.0.200.9:80", allowed},
		{"antrea: whether ipBlock matches pod IPs is unknown, so pod-to-pod is undecided", mustProfile(t, "antrea"), egressToPodCIDR, nil, "x/a", "x/b:80", undecided(BehaviourIPBlockPodIPs)},
		{"antrea: the address outside the cluster does not depend on it", mustProfile(t, "antrea"), egressToPodCIDR, nil, "x/a", "10.0.200.9:80", allowed},
		{"an override pins the unknown behaviour", mustProfile(t, "antrea").With(BehaviourIPBlockPodIPs, Yes, "--ipblock-pod-ips=true"), egressToPodCIDR, nil, "x/a", "x/b:80", allowed},
		{"cilium: ipBlock does not match a host-network pod at a node address", mustProfile(t, "cilium").With(BehaviourHostNetworkPeers, Yes, ""), egressToPodCIDR, []runtime.Object{hostNetPod("x/agent", "app=agent", "10.0.9.9")}, "x/a", "x/agent:80", denied},
		{"spec: ipBlock matches a host-network pod's node address", SpecProfile(), egressToPodCIDR, []runtime.Object{hostNetPod("x/agent", "app=agent", "10.0.9.9")}, "x/a", "x/agent:80", allowed},
		{"endPort not enforced: the entry matches only its port", SpecProfile().With(BehaviourEndPort, No, ""), `
metadata: {name: range}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: 80, endPort: 90}]}]`, nil, "x/a", "x/b:85", denied},
		{"endPort unknown: a port inside the range is undecided", SpecProfile().With(BehaviourEndPort, Unknown, ""), `
metadata: {name: range}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: 80, endPort: 90}]}]`, nil, "x/a", "x/b:85", undecided(BehaviourEndPort)},
		{"endPort unknown: the range's first port is decided", SpecProfile().With(BehaviourEndPort, Unknown, ""), `
metadata: {name: range}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: 80, endPort: 90}]}]`, nil, "x/a", "x/b:80", allowed},
		{"a plugin that does not resolve ingress named ports: the entry matches nothing", SpecProfile().With(BehaviourNamedPortsIngress, No, ""), `
metadata: {name: named}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: serve-80-tcp}]}]`, nil, "x/a", "x/b:80", denied},
		{"named ports in egress rules are a separate behaviour", SpecProfile().With(BehaviourNamedPortsIngress, No, ""), `
metadata: {name: named}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress: [{ports: [{port: serve-80-tcp}]}]`, nil, "x/a", "x/b:80", allowed},
		{"SCTP not enforced: an SCTP entry matches nothing", SpecProfile().With(BehaviourSCTP, No, ""), `
metadata: {name: sctp}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{ports: [{port: 82, protocol: SCTP}]}]`, nil, "x/a", "x/b:82/sctp", denied},
		{"every pod isolated (enable-policy: always): no policy, still denied", SpecProfile().With(BehaviourIsolateAll, Yes, ""), "", nil, "x/a", "x/b:80", denied},
		{"no policy enforced: the verdict is the policies' and decided", mustProfile(t, "none"), `
metadata: {name: deny}
spec:
  podSelector: {}`, nil, "x/a", "x/b:80", denied},
		{"whether policy is enforced is unknown: a denial is undecided", SpecProfile().With(BehaviourEnforced, Unknown, ""), `
metadata: {name: deny}
spec:
  podSelector: {}`, nil, "x/a", "x/b:80", undecided(BehaviourEnforced)},
		{"whether policy is enforced is unknown: an allowed flow is allowed", SpecProfile().With(BehaviourEnforced, Unknown, ""), "", nil, "x/a", "x/b:80", allowed},
		{"host-network pods not isolated by NetworkPolicy: a default deny leaves them open", SpecProfile().With(BehaviourHostNetworkSubjects, No, ""), `
metadata: {name: deny}
spec:
  podSelector: {}`, []runtime.Object{hostNetPod("x/agent", "app=agent", "10.0.9.9")}, "x/a", "x/agent:80", allowed},
		{"host-network pods isolated (the API text's reading): the default deny holds", SpecProfile(), `
metadata: {name: deny}
spec:
  podSelector: {}`, []runtime.Object{hostNetPod("x/agent", "app=agent", "10.0.9.9")}, "x/a", "x/agent:80", denied},
		{"host-network subjects unknown: the ingress of a host-network pod is undecided", SpecProfile().With(BehaviourHostNetworkSubjects, Unknown, ""), `
metadata: {name: deny-ingress}
spec:
  podSelector: {matchLabels: {app: agent}}`, []runtime.Object{hostNetPod("x/agent", "app=agent", "10.0.9.9")}, "x/a", "x/agent:80", undecided(BehaviourHostNetworkSubjects)},
		{"selectors do not match host-network pods as peers", SpecProfile().With(BehaviourHostNetworkPeers, No, ""), `
metadata: {name: from-agent}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: agent}}}]}]`, []runtime.Object{hostNetPod("x/agent", "app=agent", "10.0.9.9")}, "x/agent", "x/b:80", denied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := append(baseObjects(), tc.extra...)
			if tc.policies != "" {
				objs = append(objs, testPolicies(t, tc.policies)...)
			}
			s := testSnapshot(t, Options{Profile: tc.profile, WorkloadStandIns: true}, objs...)
			ans := can(t, s, tc.src, tc.dst)
			got := verdict{allowed: ans.Allowed, decided: ans.Decided, dependsOn: ans.DependsOn}
			if !got.decided {
				got.allowed = false // not a verdict
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(verdict{})); diff != "" {
				t.Errorf("can %s %s (-want +got):\n%s", tc.src, tc.dst, diff)
			}
			if ans.Profile == nil || ans.Profile.Name != tc.profile.Name {
				t.Errorf("the answer does not name the profile %q: %v", tc.profile.Name, ans.Profile)
			}
			if tc.profile.Get(BehaviourEnforced) == No && !ans.Hypothetical {
				t.Error("a plugin that enforces nothing gives a verdict not marked hypothetical")
			}
		})
	}
}

func mustProfile(t *testing.T, name string) Profile {
	t.Helper()
	p, err := ProfileNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfileNames(t *testing.T) {
	for _, alias := range []string{"flannel", "Cilium", " calico ", "aws", "ovn", "knp", "spec"} {
		if _, err := ProfileNamed(alias); err != nil {
			t.Errorf("ProfileNamed(%q): %v", alias, err)
		}
	}
	if _, err := ProfileNamed("weave"); err == nil {
		t.Error("ProfileNamed(weave) = nil error, want the list of known profiles")
	}
	for _, n := range ProfileNames() {
		p := mustProfile(t, n)
		for _, b := range Behaviours {
			if v := p.Get(b); v != Yes && v != No && v != Unknown {
				t.Errorf("profile %s: %s = %q", n, b, v)
			}
			if b.Question() == "" {
				t.Errorf("behaviour %s has no question", b)
			}
		}
	}
}
