package query

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// daemonSet is a DaemonSet "namespace/name" running containers given as
// "name=image"; args and env apply to the last container.
func cniDaemonSet(nsName string, containers ...string) *appsv1.DaemonSet {
	ns, name, _ := strings.Cut(nsName, "/")
	d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, c := range containers {
		cname, image, _ := strings.Cut(c, "=")
		d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{Name: cname, Image: image})
	}
	return d
}

func withArgs(d *appsv1.DaemonSet, args ...string) *appsv1.DaemonSet {
	cs := d.Spec.Template.Spec.Containers
	cs[len(cs)-1].Args = args
	return d
}

func withEnv(d *appsv1.DaemonSet, container string, env corev1.EnvVar) *appsv1.DaemonSet {
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == container {
			c.Env = append(c.Env, env)
		}
	}
	return d
}

func cniDeployment(nsName string) *appsv1.Deployment {
	ns, name, _ := strings.Cut(nsName, "/")
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

// cniFinding is what a test compares of a CNI.
type cniFinding struct {
	Name     string
	Enforces bool
	From     string
	Profile  string
	Why      string
	Switches map[Behaviour]Switch
}

// summarize keeps the switches asked for in want.
func summarize(c CNI, want cniFinding) cniFinding {
	f := cniFinding{Name: c.Name, Enforces: c.Enforces, From: c.From}
	if c.Profile != nil {
		f.Profile, f.Why = c.Profile.Name, c.Profile.Why
		for b := range want.Switches {
			if f.Switches == nil {
				f.Switches = map[Behaviour]Switch{}
			}
			f.Switches[b] = c.Profile.Get(b)
		}
	}
	return f
}

func TestDetectCNI(t *testing.T) {
	awsAgent := func(args ...string) *appsv1.DaemonSet {
		return withArgs(cniDaemonSet("kube-system/aws-node", "aws-node=602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2",
			"aws-eks-nodeagent=602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.1.6"), args...)
	}
	tests := []struct {
		name        string
		daemonsets  []*appsv1.DaemonSet
		deployments []*appsv1.Deployment
		want        cniFinding
	}{
		{"Calico from its manifest: calico-node in kube-system",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/kube-proxy", "kube-proxy=registry.k8s.io/kube-proxy:v1.33.0"), cniDaemonSet("kube-system/calico-node", "calico-node=docker.io/calico/node:v3.29.1")}, nil,
			cniFinding{Name: "Calico", Enforces: true, From: "DaemonSet kube-system/calico-node", Profile: "calico", Why: "detected from DaemonSet kube-system/calico-node"}},
		{"Calico by the Tigera operator: calico-node in calico-system, named before a DaemonSet only imaged after Calico",
			[]*appsv1.DaemonSet{cniDaemonSet("calico-system/csi-node-driver", "calico-csi=docker.io/calico/csi:v3.29.1"), cniDaemonSet("calico-system/calico-node", "calico-node=docker.io/calico/node:v3.29.1")},
			[]*appsv1.Deployment{cniDeployment("tigera-operator/tigera-operator"), cniDeployment("calico-system/calico-kube-controllers")},
			cniFinding{Name: "Calico", Enforces: true, From: "DaemonSet calico-system/calico-node", Profile: "calico", Why: "detected from DaemonSet calico-system/calico-node"}},
		{"Canal is Calico policy on flannel",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/canal", "calico-node=docker.io/calico/node:v3.29.1", "kube-flannel=flannel/flannel:v0.26")}, nil,
			cniFinding{Name: "Calico", Enforces: true, From: "DaemonSet kube-system/canal", Profile: "calico", Why: "detected from DaemonSet kube-system/canal"}},
		{"Cilium in kube-system",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/cilium", "cilium-agent=quay.io/cilium/cilium:v1.17.4"), cniDaemonSet("kube-system/cilium-envoy", "cilium-envoy=quay.io/cilium/cilium-envoy:v1.32")}, nil,
			cniFinding{Name: "Cilium", Enforces: true, From: "DaemonSet kube-system/cilium", Profile: "cilium", Why: "detected from DaemonSet kube-system/cilium"}},
		{"Cilium installed by Helm into its own namespace",
			[]*appsv1.DaemonSet{cniDaemonSet("cilium/cilium", "cilium-agent=quay.io/cilium/cilium:v1.17.4")}, nil,
			cniFinding{Name: "Cilium", Enforces: true, From: "DaemonSet cilium/cilium", Profile: "cilium", Why: "detected from DaemonSet cilium/cilium"}},
		{"Cilium by its image alone",
			[]*appsv1.DaemonSet{cniDaemonSet("net/agent", "agent=quay.io/cilium/cilium:v1.17.4")}, nil,
			cniFinding{Name: "Cilium", Enforces: true, From: "DaemonSet net/agent", Profile: "cilium", Why: "detected from DaemonSet net/agent"}},
		{"GKE Dataplane V2 runs Cilium as anetd",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/anetd", "cilium-agent=gke.gcr.io/cilium/cilium:v1.14.12-gke1"), cniDaemonSet("kube-system/kube-proxy", "kube-proxy=k8s.gcr.io/kube-proxy")}, nil,
			cniFinding{Name: "Cilium", Enforces: true, From: "DaemonSet kube-system/anetd", Profile: "cilium", Why: "detected from DaemonSet kube-system/anetd"}},
		{"GKE Dataplane V2 by the name anetd alone",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/anetd", "anetd=gke.gcr.io/anetd:v1")}, nil,
			cniFinding{Name: "GKE Dataplane V2 (Cilium)", Enforces: true, From: "DaemonSet kube-system/anetd", Profile: "cilium", Why: "detected from DaemonSet kube-system/anetd"}},
		{"OpenShift OVN-Kubernetes in openshift-ovn-kubernetes",
			[]*appsv1.DaemonSet{cniDaemonSet("openshift-ovn-kubernetes/ovnkube-node", "ovnkube-controller=quay.io/openshift-release-dev/ocp-v4.0-art-dev")}, nil,
			cniFinding{Name: "OVN-Kubernetes", Enforces: true, From: "DaemonSet openshift-ovn-kubernetes/ovnkube-node", Profile: "ovn-kubernetes", Why: "detected from DaemonSet openshift-ovn-kubernetes/ovnkube-node"}},
		{"upstream OVN-Kubernetes in ovn-kubernetes",
			[]*appsv1.DaemonSet{cniDaemonSet("ovn-kubernetes/ovnkube-node", "ovnkube-controller=ghcr.io/ovn-org/ovn-kubernetes/ovn-kube-ubuntu:master")}, nil,
			cniFinding{Name: "OVN-Kubernetes", Enforces: true, From: "DaemonSet ovn-kubernetes/ovnkube-node", Profile: "ovn-kubernetes", Why: "detected from DaemonSet ovn-kubernetes/ovnkube-node"}},
		{"Antrea's agent in kube-system",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/antrea-agent", "antrea-agent=antrea/antrea-agent-ubuntu:v2.3.0", "antrea-ovs=antrea/antrea-agent-ubuntu:v2.3.0")}, nil,
			cniFinding{Name: "Antrea", Enforces: true, From: "DaemonSet kube-system/antrea-agent", Profile: "antrea", Why: "detected from DaemonSet kube-system/antrea-agent"}},
		{"kube-router enforces by default",
			[]*appsv1.DaemonSet{withArgs(cniDaemonSet("kube-system/kube-router", "kube-router=docker.io/cloudnativelabs/kube-router"), "--run-router=true", "--run-firewall=true")}, nil,
			cniFinding{Name: "kube-router", Enforces: true, From: "DaemonSet kube-system/kube-router", Profile: "kube-router", Why: "detected from DaemonSet kube-system/kube-router"}},
		{"kube-router with --run-firewall=false enforces nothing",
			[]*appsv1.DaemonSet{withArgs(cniDaemonSet("kube-system/kube-router", "kube-router=docker.io/cloudnativelabs/kube-router"), "--run-router=true", "--run-firewall=false")}, nil,
			cniFinding{Name: "kube-router", From: "DaemonSet kube-system/kube-router", Profile: "none", Why: "detected from DaemonSet kube-system/kube-router, which runs with --run-firewall=false"}},
		{"kube-network-policies",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/kube-network-policies", "kube-network-policies=registry.k8s.io/networking/kube-network-policies:v0.7.0")}, nil,
			cniFinding{Name: "kube-network-policies", Enforces: true, From: "DaemonSet kube-system/kube-network-policies", Profile: "kube-network-policies", Why: "detected from DaemonSet kube-system/kube-network-policies"}},
		{"AWS VPC CNI with its network policy agent enabled",
			[]*appsv1.DaemonSet{awsAgent("--enable-ipv6=false", "--enable-network-policy=true")}, nil,
			cniFinding{Name: "AWS VPC CNI network policy agent", Enforces: true, From: "DaemonSet kube-system/aws-node", Profile: "aws-vpc-cni", Why: "detected from DaemonSet kube-system/aws-node",
				Switches: map[Behaviour]Switch{BehaviourIsolateAll: No}}},
		{"AWS VPC CNI in strict mode: whether unselected pods stay isolated is unknown",
			[]*appsv1.DaemonSet{withEnv(awsAgent("--enable-network-policy=true"), "aws-node", corev1.EnvVar{Name: "NETWORK_POLICY_ENFORCING_MODE", Value: "strict"})}, nil,
			cniFinding{Name: "AWS VPC CNI network policy agent", Enforces: true, From: "DaemonSet kube-system/aws-node", Profile: "aws-vpc-cni", Why: "detected from DaemonSet kube-system/aws-node",
				Switches: map[Behaviour]Switch{BehaviourIsolateAll: Unknown}}},
		{"AWS VPC CNI in standard mode is the default",
			[]*appsv1.DaemonSet{withEnv(awsAgent("--enable-network-policy=true"), "aws-node", corev1.EnvVar{Name: "NETWORK_POLICY_ENFORCING_MODE", Value: "standard"})}, nil,
			cniFinding{Name: "AWS VPC CNI network policy agent", Enforces: true, From: "DaemonSet kube-system/aws-node", Profile: "aws-vpc-cni", Why: "detected from DaemonSet kube-system/aws-node",
				Switches: map[Behaviour]Switch{BehaviourIsolateAll: No}}},
		{"AWS VPC CNI with the agent container but --enable-network-policy not true enforces nothing",
			[]*appsv1.DaemonSet{awsAgent("--enable-ipv6=false", "--enable-network-policy=false")}, nil,
			cniFinding{Name: "AWS VPC CNI with its network policy agent disabled", From: "DaemonSet kube-system/aws-node", Profile: "none", Why: "detected from DaemonSet kube-system/aws-node, whose network policy agent runs without --enable-network-policy=true"}},
		{"aws-node without the agent (VPC CNI before 1.14) enforces nothing",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/aws-node", "aws-node=602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.13.4")}, nil,
			cniFinding{Name: "AWS VPC CNI without its network policy agent", From: "DaemonSet kube-system/aws-node", Profile: "none", Why: "detected from DaemonSet kube-system/aws-node"}},
		{"Calico policy on the AWS VPC CNI: Calico enforces",
			[]*appsv1.DaemonSet{awsAgent(), cniDaemonSet("calico-system/calico-node", "calico-node=quay.io/calico/node:v3.29.1")}, nil,
			cniFinding{Name: "Calico", Enforces: true, From: "DaemonSet calico-system/calico-node", Profile: "calico", Why: "detected from DaemonSet calico-system/calico-node"}},
		{"flannel alone enforces nothing",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-flannel/kube-flannel-ds", "kube-flannel=ghcr.io/flannel-io/flannel:v0.26.1")}, nil,
			cniFinding{Name: "flannel", From: "DaemonSet kube-flannel/kube-flannel-ds", Profile: "none", Why: "detected from DaemonSet kube-flannel/kube-flannel-ds"}},
		{"a plugin without a profile is named, with no profile",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/weave-net", "weave=weaveworks/weave-kube:2.8.1")}, nil,
			cniFinding{Name: "Weave Net", Enforces: true, From: "DaemonSet kube-system/weave-net"}},
		{"nothing known: no plugin, no profile",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-system/kube-proxy", "kube-proxy=registry.k8s.io/kube-proxy")},
			[]*appsv1.Deployment{cniDeployment("kube-system/coredns")},
			cniFinding{}},
		{"only the Tigera operator's Deployment: Calico, but enforcement unknown",
			nil, []*appsv1.Deployment{cniDeployment("kube-system/coredns"), cniDeployment("tigera-operator/tigera-operator")},
			cniFinding{From: "Deployment tigera-operator/tigera-operator", Profile: "calico", Why: "detected from Deployment tigera-operator/tigera-operator, without a DaemonSet of its node agent",
				Switches: map[Behaviour]Switch{BehaviourEnforced: Unknown}}},
		{"a DaemonSet naming a plugin wins over Deployments",
			[]*appsv1.DaemonSet{cniDaemonSet("kube-flannel/kube-flannel-ds", "kube-flannel=ghcr.io/flannel-io/flannel:v0.26.1")},
			[]*appsv1.Deployment{cniDeployment("tigera-operator/tigera-operator")},
			cniFinding{Name: "flannel", From: "DaemonSet kube-flannel/kube-flannel-ds", Profile: "none", Why: "detected from DaemonSet kube-flannel/kube-flannel-ds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DetectCNI(tc.daemonsets, tc.deployments)
			if diff := cmp.Diff(tc.want, summarize(got, tc.want)); diff != "" {
				t.Errorf("DetectCNI (-want +got):\n%s", diff)
			}
			if got.Note == "" {
				t.Error("DetectCNI gave no note")
			}
		})
	}
}

// TestCNISignaturesNameKnownProfiles: every profile a signature names
// exists (DetectCNI panics otherwise).
func TestCNISignaturesNameKnownProfiles(t *testing.T) {
	for _, sig := range cniSignatures {
		if _, err := ProfileNamed(sig.profile); sig.profile != "" && err != nil {
			t.Errorf("signature %q: %v", sig.match, err)
		}
	}
	for _, sig := range deploymentSignatures {
		if _, err := ProfileNamed(sig.profile); err != nil {
			t.Errorf("deployment signature %q: %v", sig.match, err)
		}
	}
}

func TestCiliumConfig(t *testing.T) {
	cilium := DetectCNI([]*appsv1.DaemonSet{cniDaemonSet("kube-system/cilium", "cilium-agent=quay.io/cilium/cilium:v1.18.0")}, nil)
	defaults := map[Behaviour]Switch{
		BehaviourEnforced: Yes, BehaviourIsolateAll: No, BehaviourClusterPolicies: No,
		BehaviourIPBlockPodIPs: No, BehaviourIPBlockNodeIPs: No, BehaviourSCTP: Unknown, BehaviourNodeToPod: Yes,
	}
	with := func(set map[Behaviour]Switch) map[Behaviour]Switch {
		out := map[Behaviour]Switch{}
		for b, v := range defaults {
			out[b] = v
		}
		for b, v := range set {
			out[b] = v
		}
		return out
	}
	tests := []struct {
		name         string
		data         map[string]string
		want         map[Behaviour]Switch
		wantEnforces bool
	}{
		{"an empty cilium-config keeps Cilium's defaults", map[string]string{}, defaults, true},
		{"enable-policy: default keeps the defaults", map[string]string{"enable-policy": "default"}, defaults, true},
		{"enable-policy: always isolates every pod", map[string]string{"enable-policy": "always"}, with(map[Behaviour]Switch{BehaviourIsolateAll: Yes}), true},
		{"enable-policy: never enforces nothing", map[string]string{"enable-policy": "never"}, with(map[Behaviour]Switch{BehaviourEnforced: No}), false},
		{"an enable-policy value Cilium does not define is unknown", map[string]string{"enable-policy": "sometimes"}, with(map[Behaviour]Switch{BehaviourEnforced: Unknown, BehaviourIsolateAll: Unknown}), true},
		{"enable-k8s-networkpolicy: false ignores NetworkPolicy", map[string]string{"enable-k8s-networkpolicy": "false"}, with(map[Behaviour]Switch{BehaviourEnforced: No}), false},
		{"policy-cidr-match-mode: nodes lets ipBlock match node addresses", map[string]string{"policy-cidr-match-mode": "nodes"}, with(map[Behaviour]Switch{BehaviourIPBlockNodeIPs: Yes}), true},
		{"policy-cidr-match-mode: pods lets ipBlock match pod IPs", map[string]string{"policy-cidr-match-mode": "pods"}, with(map[Behaviour]Switch{BehaviourIPBlockPodIPs: Yes}), true},
		{"policy-cidr-match-mode: a list of pods and nodes", map[string]string{"policy-cidr-match-mode": "pods,nodes"}, with(map[Behaviour]Switch{BehaviourIPBlockPodIPs: Yes, BehaviourIPBlockNodeIPs: Yes}), true},
		{"policy-cidr-match-mode: a space-separated list", map[string]string{"policy-cidr-match-mode": "nodes pods"}, with(map[Behaviour]Switch{BehaviourIPBlockPodIPs: Yes, BehaviourIPBlockNodeIPs: Yes}), true},
		{"an unknown policy-cidr-match-mode is unknown", map[string]string{"policy-cidr-match-mode": "world"}, with(map[Behaviour]Switch{BehaviourIPBlockPodIPs: Unknown, BehaviourIPBlockNodeIPs: Unknown}), true},
		{"enable-sctp: true enforces SCTP rules", map[string]string{"enable-sctp": "true"}, with(map[Behaviour]Switch{BehaviourSCTP: Yes}), true},
		{"enable-sctp: false leaves SCTP unknown", map[string]string{"enable-sctp": "false"}, defaults, true},
		{"enable-k8s-cluster-network-policy: true enforces ClusterNetworkPolicy", map[string]string{"enable-k8s-cluster-network-policy": "true"}, with(map[Behaviour]Switch{BehaviourClusterPolicies: Yes}), true},
		{"allow-localhost: policy subjects node traffic to policy", map[string]string{"allow-localhost": "policy"}, with(map[Behaviour]Switch{BehaviourNodeToPod: No}), true},
		{"allow-localhost: always keeps node traffic allowed", map[string]string{"allow-localhost": "always"}, defaults, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cilium.WithCiliumConfig(tc.data)
			gotSwitches := map[Behaviour]Switch{}
			for b := range defaults {
				gotSwitches[b] = got.Profile.Get(b)
			}
			if diff := cmp.Diff(tc.want, gotSwitches); diff != "" {
				t.Errorf("switches (-want +got):\n%s", diff)
			}
			if got.Enforces != tc.wantEnforces {
				t.Errorf("Enforces = %v, want %v (note %q)", got.Enforces, tc.wantEnforces, got.Note)
			}
			if want := "detected from DaemonSet kube-system/cilium and ConfigMap kube-system/cilium-config"; got.Profile.Why != want {
				t.Errorf("Why = %q, want %q", got.Profile.Why, want)
			}
			changed := false
			for b, v := range tc.want {
				changed = changed || v != defaults[b]
			}
			if changed && len(got.Profile.Notes) == 0 {
				t.Error("a setting that changes a switch gave no note")
			}
			if cilium.Profile.Get(BehaviourIsolateAll) != No || len(cilium.Profile.Notes) != 0 {
				t.Error("WithCiliumConfig changed the profile it was given")
			}
		})
	}
	t.Run("an unreadable cilium-config leaves its settings unknown and says why", func(t *testing.T) {
		got := cilium.WithoutCiliumConfig("reading ConfigMap kube-system/cilium-config is forbidden")
		for _, b := range ciliumSettingBehaviours {
			if v := got.Profile.Get(b); v != Unknown {
				t.Errorf("%s = %s, want unknown", b, v)
			}
		}
		if got.Profile.Get(BehaviourNamedPortsIngress) != Yes {
			t.Error("a switch cilium-config does not decide changed")
		}
		want := []string{"reading ConfigMap kube-system/cilium-config is forbidden: Cilium's settings (enable-policy, policy-cidr-match-mode, enable-sctp, enable-k8s-cluster-network-policy, allow-localhost) are unknown"}
		if diff := cmp.Diff(want, got.Profile.Notes); diff != "" {
			t.Errorf("notes (-want +got):\n%s", diff)
		}
	})
}
