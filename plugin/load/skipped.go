package load

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
)

// Manifests of real applications hold many objects the engine has no use
// for: RBAC, service accounts, configuration, CRDs (kube-prometheus alone
// is over a hundred). Those of Kubernetes' own kinds that cannot change
// what may reach what are skipped silently; the others (a kind the tool
// does not know may make pods, as an operator's custom resources do, or
// apply policy, as another network plugin's do) are counted in one
// warning. With -v 2 every skipped object is listed.

// inertKinds are the kinds of Kubernetes' own API that cannot change a
// verdict: they neither make pods, label them, give them ports, nor apply
// policy. Not among them: MutatingWebhookConfiguration and
// MutatingAdmissionPolicy (they may rewrite pods' labels and ports as
// they are created), and every kind of another API group, custom
// resources included.
var inertKinds = func() map[schema.GroupKind]bool {
	m := map[schema.GroupKind]bool{}
	for group, kinds := range map[string][]string{
		"":                             {"ConfigMap", "Endpoints", "Event", "LimitRange", "PersistentVolume", "PersistentVolumeClaim", "PodTemplate", "ResourceQuota", "Secret", "ServiceAccount"},
		"admissionregistration.k8s.io": {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration"},
		"apiextensions.k8s.io":         {"CustomResourceDefinition"},
		"apiregistration.k8s.io":       {"APIService"},
		"apps":                         {"ControllerRevision"},
		"autoscaling":                  {"HorizontalPodAutoscaler"},
		"certificates.k8s.io":          {"CertificateSigningRequest"},
		"coordination.k8s.io":          {"Lease"},
		"discovery.k8s.io":             {"EndpointSlice"},
		"events.k8s.io":                {"Event"},
		"flowcontrol.apiserver.k8s.io": {"FlowSchema", "PriorityLevelConfiguration"},
		"networking.k8s.io":            {"Ingress", "IngressClass"},
		"node.k8s.io":                  {"RuntimeClass"},
		"policy":                       {"PodDisruptionBudget"},
		"rbac.authorization.k8s.io":    {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"},
		"scheduling.k8s.io":            {"PriorityClass"},
		"storage.k8s.io":               {"CSIDriver", "CSINode", "CSIStorageCapacity", "StorageClass", "VolumeAttachment", "VolumeAttributesClass"},
	} {
		for _, k := range kinds {
			m[schema.GroupKind{Group: group, Kind: k}] = true
		}
	}
	return m
}()

// skippedObject is an object of a kind the engine does not read.
type skippedObject struct {
	// what names it as messages do: "clusterrole prometheus-k8s".
	what string
	kind schema.GroupKind
	// why is set for an inert kind (or a ConfigMap but Cilium's): it is
	// skipped silently, and -v 2 says why.
	why string
	// file is the file it was read from, set when the files are joined.
	file string
}

// skipKind is the skipped object of a kind kindOf does not read.
func skipKind(what string, gk schema.GroupKind) skippedObject {
	s := skippedObject{what: what, kind: gk}
	if inertKinds[gk] {
		s.why = "kind " + gk.String() + " cannot change what may reach what"
	}
	return s
}

// line is the object in the -v 2 list.
func (s skippedObject) line() string {
	why := s.why
	if why == "" {
		why = "kubectl netpol does not read kind " + s.kind.String()
	}
	return fmt.Sprintf("Skipped %s: %s: %s", s.file, s.what, why)
}

// reportSkipped writes the one warning about the skipped objects of kinds
// that may matter, counted by kind, most first (the object itself when it
// is the only one); with -v 2, each skipped object on a line of its own.
func reportSkipped(w io.Writer, skipped []skippedObject) {
	counts := map[schema.GroupKind]int{}
	n := 0
	for _, s := range skipped {
		if s.why == "" {
			counts[s.kind]++
			n++
		}
	}
	list := klog.V(2).Enabled()
	switch {
	case n == 1:
		// One is named, as it is.
		for _, s := range skipped {
			if s.why == "" {
				fmt.Fprintf(w, "Warning: %s: skipping %s: kubectl netpol does not read kind %s\n", s.file, s.what, s.kind)
			}
		}
	case n > 0:
		kinds := slices.SortedFunc(maps.Keys(counts), func(a, b schema.GroupKind) int {
			return cmp.Or(counts[b]-counts[a], cmp.Compare(a.String(), b.String()))
		})
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%d %s", counts[k], k)
		}
		more := " (-v 2 lists them)"
		if list {
			more = ":"
		}
		fmt.Fprintf(w, "Warning: skipped %d objects of kinds kubectl netpol does not read: %s%s\n", n, strings.Join(parts, ", "), more)
	}
	if list {
		for _, s := range skipped {
			fmt.Fprintln(w, s.line())
		}
	}
}
