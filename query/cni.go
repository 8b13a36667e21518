package query

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// CNI is what the cluster's network plugin means for the answers.
type CNI struct {
	// Name is the plugin found, "" when none could be identified.
	Name string `json:"name,omitempty"`
	// Enforces is true when the plugin enforces NetworkPolicy.
	Enforces bool `json:"enforces"`
	// Note says what the finding means for the answers.
	Note string `json:"note"`
	// From names the object the plugin was recognised by, e.g.
	// "DaemonSet calico-system/calico-node".
	From string `json:"from,omitempty"`
	// Profile is what the plugin does where the API leaves a choice, its
	// Why saying how it was found. It is nil when no plugin was found or
	// the plugin has no profile (Weave Net, Azure NPM, Kube-OVN, kindnet).
	Profile *Profile `json:"profile,omitempty"`
	// Namespace is the namespace of that object, where the plugin keeps
	// its settings (Cilium's cilium-config).
	Namespace string `json:"-"`
}

// cniSignature recognises a network plugin by a substring of a DaemonSet's
// name, or of a container's name or image.
type cniSignature struct {
	match, name string
	// profile names the plugin's profile, "" for none.
	profile  string
	enforces bool
	// settings refines a match from the DaemonSet's own configuration (a
	// plugin started without its policy engine enforces nothing); nil
	// keeps the match as it is.
	settings func(ds *appsv1.DaemonSet, c CNI) CNI
}

// cniSignatures are the known plugins, in the order they are looked for:
// the first that enforces NetworkPolicy wins, since policy engines often
// run beside a plain CNI (Calico with flannel, the AWS policy agent inside
// aws-node).
var cniSignatures = []cniSignature{
	{match: "cilium", name: "Cilium", profile: "cilium", enforces: true},
	{match: "calico", name: "Calico", profile: "calico", enforces: true},
	{match: "canal", name: "Canal (Calico policy on flannel)", profile: "calico", enforces: true},
	{match: "antrea", name: "Antrea", profile: "antrea", enforces: true},
	{match: "weave", name: "Weave Net", enforces: true},
	{match: "kube-router", name: "kube-router", profile: "kube-router", enforces: true, settings: kubeRouterSettings},
	{match: "kube-network-policies", name: "kube-network-policies", profile: "kube-network-policies", enforces: true},
	{match: "network-policy-agent", name: "AWS VPC CNI network policy agent", profile: "aws-vpc-cni", enforces: true, settings: awsAgentSettings},
	{match: "azure-npm", name: "Azure Network Policy Manager", enforces: true},
	{match: "anetd", name: "GKE Dataplane V2 (Cilium)", profile: "cilium", enforces: true},
	{match: "ovnkube", name: "OVN-Kubernetes", profile: "ovn-kubernetes", enforces: true},
	{match: "kube-ovn", name: "Kube-OVN", enforces: true},
	{match: "kindnet", name: "kindnet", enforces: true},
	{match: "aws-node", name: "AWS VPC CNI without its network policy agent", profile: "none"},
	{match: "flannel", name: "flannel", profile: "none"},
}

// deploymentSignatures recognise a plugin by the Deployments of its
// control plane, consulted only when no DaemonSet names a plugin: an
// operator or controller without its node agent does not tell whether
// anything is enforced.
var deploymentSignatures = []struct{ match, name, profile string }{
	{"tigera-operator", "Calico", "calico"},
	{"calico-kube-controllers", "Calico", "calico"},
	{"cilium-operator", "Cilium", "cilium"},
	{"antrea-controller", "Antrea", "antrea"},
	{"ovnkube", "OVN-Kubernetes", "ovn-kubernetes"},
}

// DetectCNI identifies the network plugin from the DaemonSets of every
// namespace (names, container names and images; the Tigera operator runs
// Calico in calico-system, OpenShift its OVN-Kubernetes in
// openshift-ovn-kubernetes), and only when none names a plugin from the
// Deployments. Deployments may be nil when not read.
func DetectCNI(daemonsets []*appsv1.DaemonSet, deployments []*appsv1.Deployment) CNI {
	dss := slices.Clone(daemonsets)
	slices.SortFunc(dss, func(a, b *appsv1.DaemonSet) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	var plain *CNI
	for _, sig := range cniSignatures {
		ds := findDaemonSet(dss, sig.match)
		if ds == nil {
			continue
		}
		c := sig.found(ds)
		if sig.settings != nil {
			c = sig.settings(ds, c)
		}
		if c.Enforces {
			return c
		}
		if plain == nil {
			plain = &c
		}
	}
	if plain != nil {
		return *plain
	}
	deps := slices.Clone(deployments)
	slices.SortFunc(deps, func(a, b *appsv1.Deployment) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, sig := range deploymentSignatures {
		for _, d := range deps {
			if !strings.Contains(d.Name, sig.match) {
				continue
			}
			from := fmt.Sprintf("Deployment %s/%s", d.Namespace, d.Name)
			p := profileFor(sig.profile, "detected from "+from+", without a DaemonSet of its node agent")
			q := p.With(BehaviourEnforced, Unknown, fmt.Sprintf("%s runs no node agent DaemonSet that was found", sig.name))
			return CNI{From: from, Namespace: d.Namespace, Profile: &q,
				Note: fmt.Sprintf("found %s of %s but no DaemonSet of its node agent: cannot tell whether NetworkPolicy is enforced, so verdicts may be hypothetical", from, sig.name)}
		}
	}
	return CNI{Note: "no known network plugin found among the DaemonSets and Deployments of any namespace: cannot tell whether NetworkPolicy is enforced, so verdicts may be hypothetical"}
}

// found is the signature's finding in the DaemonSet.
func (sig cniSignature) found(ds *appsv1.DaemonSet) CNI {
	from := fmt.Sprintf("DaemonSet %s/%s", ds.Namespace, ds.Name)
	c := CNI{Name: sig.name, Enforces: sig.enforces, From: from, Namespace: ds.Namespace}
	if sig.enforces {
		c.Note = fmt.Sprintf("%s enforces NetworkPolicy", sig.name)
	} else {
		c.Note = notEnforcingNote(sig.name)
	}
	if sig.profile != "" {
		p := profileFor(sig.profile, "detected from "+from)
		c.Profile = &p
	}
	return c
}

func notEnforcingNote(name string) string {
	return fmt.Sprintf("%s does not enforce NetworkPolicy: every verdict is hypothetical, no policy is applied by this cluster", name)
}

// profileFor is a known profile with why it was chosen.
func profileFor(name, why string) Profile {
	p, err := ProfileNamed(name)
	if err != nil {
		panic(err) // the signatures name known profiles; TestDetectCNI covers them
	}
	p.Why = why
	return p
}

// findDaemonSet is the first DaemonSet whose name contains s, else the
// first with a container named or imaged after s.
func findDaemonSet(dss []*appsv1.DaemonSet, s string) *appsv1.DaemonSet {
	for _, ds := range dss {
		if strings.Contains(ds.Name, s) {
			return ds
		}
	}
	for _, ds := range dss {
		if containerMentioning(ds, s) != nil {
			return ds
		}
	}
	return nil
}

// containerMentioning is the DaemonSet's first container (or init
// container) whose name or image contains s.
func containerMentioning(ds *appsv1.DaemonSet, s string) *corev1.Container {
	spec := &ds.Spec.Template.Spec
	for _, cs := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for i := range cs {
			if strings.Contains(cs[i].Image, s) || strings.Contains(cs[i].Name, s) {
				return &cs[i]
			}
		}
	}
	return nil
}

// boolFlag is the value of a boolean command-line flag in args
// ("--name" or "--name=VALUE"), and whether it is given.
func boolFlag(args []string, name string) (value, given bool) {
	for _, a := range args {
		if a == "--"+name {
			value, given = true, true
			continue
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			b, err := strconv.ParseBool(v)
			value, given = b && err == nil, true
		}
	}
	return value, given
}

// awsAgentSettings: the AWS network policy agent ships inside aws-node
// (VPC CNI 1.14 and later) but enforces only when started with
// --enable-network-policy=true (default false); its strict mode
// (NETWORK_POLICY_ENFORCING_MODE on the aws-node container) starts pods
// isolated.
func awsAgentSettings(ds *appsv1.DaemonSet, c CNI) CNI {
	agent := containerMentioning(ds, "network-policy-agent")
	if agent == nil {
		return c
	}
	if on, _ := boolFlag(append(slices.Clone(agent.Command), agent.Args...), "enable-network-policy"); !on {
		c.Name = "AWS VPC CNI with its network policy agent disabled"
		c.Enforces = false
		c.Note = notEnforcingNote(c.Name) + " (the agent runs without --enable-network-policy=true)"
		p := profileFor("none", fmt.Sprintf("detected from %s, whose network policy agent runs without --enable-network-policy=true", c.From))
		c.Profile = &p
		return c
	}
	for _, ctr := range ds.Spec.Template.Spec.Containers {
		for _, e := range ctr.Env {
			if e.Name != "NETWORK_POLICY_ENFORCING_MODE" {
				continue
			}
			switch {
			case e.ValueFrom != nil:
				p := c.Profile.With(BehaviourIsolateAll, Unknown, "NETWORK_POLICY_ENFORCING_MODE of the AWS VPC CNI is set from another object: whether pods start isolated (strict mode) is not known")
				c.Profile = &p
			case strings.EqualFold(strings.TrimSpace(e.Value), "strict"):
				p := c.Profile.With(BehaviourIsolateAll, Unknown, "the AWS VPC CNI runs in strict mode (NETWORK_POLICY_ENFORCING_MODE=strict): pods start isolated, and whether pods no policy selects stay isolated is not known")
				c.Profile = &p
			}
		}
	}
	return c
}

// kubeRouterSettings: kube-router enforces NetworkPolicy unless started
// with --run-firewall=false (default true).
func kubeRouterSettings(ds *appsv1.DaemonSet, c CNI) CNI {
	for _, ctr := range ds.Spec.Template.Spec.Containers {
		if on, given := boolFlag(append(slices.Clone(ctr.Command), ctr.Args...), "run-firewall"); given && !on {
			c.Enforces = false
			c.Note = notEnforcingNote(c.Name) + " (it runs with --run-firewall=false)"
			p := profileFor("none", fmt.Sprintf("detected from %s, which runs with --run-firewall=false", c.From))
			c.Profile = &p
			return c
		}
	}
	return c
}
