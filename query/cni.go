package query

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
)

// CNI is what the cluster's network plugin means for the answers.
type CNI struct {
	// Name is the plugin found, "" when none could be identified.
	Name string `json:"name,omitempty"`
	// Enforces is true when the plugin enforces NetworkPolicy.
	Enforces bool `json:"enforces"`
	// Note says what the finding means for the answers.
	Note string `json:"note"`
}

// cniSignatures maps a substring of a kube-system DaemonSet's name or
// container image to the plugin and whether it enforces NetworkPolicy.
var cniSignatures = []struct {
	match, name string
	enforces    bool
}{
	{"cilium", "Cilium", true},
	{"calico", "Calico", true},
	{"canal", "Canal (Calico policy on flannel)", true},
	{"antrea", "Antrea", true},
	{"weave", "Weave Net", true},
	{"kube-router", "kube-router", true},
	{"kube-network-policies", "kube-network-policies", true},
	{"network-policy-agent", "AWS VPC CNI network policy agent", true},
	{"azure-npm", "Azure Network Policy Manager", true},
	{"anetd", "GKE Dataplane V2 (Cilium)", true},
	{"ovnkube", "OVN-Kubernetes", true},
	{"kube-ovn", "Kube-OVN", true},
	{"kindnet", "kindnet", true},
	{"aws-node", "AWS VPC CNI without its network policy agent", false},
	{"flannel", "flannel", false},
}

// DetectCNI looks at kube-system DaemonSets (names and container images)
// for a network plugin. The first enforcing plugin found wins, since
// policy engines often run beside a plain CNI (Calico with flannel, the AWS
// policy agent inside aws-node).
func DetectCNI(daemonsets []*appsv1.DaemonSet) CNI {
	var plain *CNI
	for _, sig := range cniSignatures {
		for _, ds := range daemonsets {
			if ds.Namespace != "kube-system" || !mentions(ds, sig.match) {
				continue
			}
			if sig.enforces {
				return CNI{Name: sig.name, Enforces: true, Note: fmt.Sprintf("%s enforces NetworkPolicy", sig.name)}
			}
			if plain == nil {
				plain = &CNI{Name: sig.name, Note: fmt.Sprintf("%s does not enforce NetworkPolicy: every verdict is hypothetical, no policy is applied by this cluster", sig.name)}
			}
		}
	}
	if plain != nil {
		return *plain
	}
	return CNI{Note: "no known network plugin found among kube-system DaemonSets: cannot tell whether NetworkPolicy is enforced, so verdicts may be hypothetical"}
}

func mentions(ds *appsv1.DaemonSet, s string) bool {
	if strings.Contains(ds.Name, s) {
		return true
	}
	for _, c := range append(ds.Spec.Template.Spec.Containers, ds.Spec.Template.Spec.InitContainers...) {
		if strings.Contains(c.Image, s) || strings.Contains(c.Name, s) {
			return true
		}
	}
	return false
}
