package load

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// served are the kinds the engine reads and the API versions (group/version)
// it reads them at: those the API server serves, the preferred first.
var served = map[string][]string{
	"Namespace":                  {"v1"},
	"Pod":                        {"v1"},
	"Service":                    {"v1"},
	"ReplicationController":      {"v1"},
	"Node":                       {"v1"},
	"ConfigMap":                  {"v1"}, // only Cilium's cilium-config (readObject)
	"Deployment":                 {"apps/v1"},
	"StatefulSet":                {"apps/v1"},
	"DaemonSet":                  {"apps/v1"},
	"ReplicaSet":                 {"apps/v1"},
	"Job":                        {"batch/v1"},
	"CronJob":                    {"batch/v1"},
	"NetworkPolicy":              {"networking.k8s.io/v1"},
	"ClusterNetworkPolicy":       {"policy.networking.k8s.io/v1beta1", "policy.networking.k8s.io/v1alpha2"},
	"AdminNetworkPolicy":         {"policy.networking.k8s.io/v1alpha1"},
	"BaselineAdminNetworkPolicy": {"policy.networking.k8s.io/v1alpha1"},
}

// removed are the API versions Kubernetes once served a read kind at, with
// the release that stopped serving it.
var removed = map[schema.GroupVersionKind]string{
	{Group: "extensions", Version: "v1beta1", Kind: "NetworkPolicy"}: "1.16",
	{Group: "extensions", Version: "v1beta1", Kind: "Deployment"}:    "1.16",
	{Group: "extensions", Version: "v1beta1", Kind: "DaemonSet"}:     "1.16",
	{Group: "extensions", Version: "v1beta1", Kind: "ReplicaSet"}:    "1.16",
	{Group: "apps", Version: "v1beta1", Kind: "Deployment"}:          "1.16",
	{Group: "apps", Version: "v1beta1", Kind: "StatefulSet"}:         "1.16",
	{Group: "apps", Version: "v1beta2", Kind: "Deployment"}:          "1.16",
	{Group: "apps", Version: "v1beta2", Kind: "StatefulSet"}:         "1.16",
	{Group: "apps", Version: "v1beta2", Kind: "DaemonSet"}:           "1.16",
	{Group: "apps", Version: "v1beta2", Kind: "ReplicaSet"}:          "1.16",
	{Group: "batch", Version: "v2alpha1", Kind: "CronJob"}:           "1.21",
	{Group: "batch", Version: "v1beta1", Kind: "CronJob"}:            "1.25",
}

// kindOf decides what is done with a document of the given apiVersion and
// kind: read as gvk, or skipped (read false) with a warning. A kind the
// engine reads, under a Kubernetes API group that does not serve it, or
// misspelt, is an error giving the right spelling: skipped, a policy would
// silently be missing from every answer.
func kindOf(apiVersion, kind string) (gvk schema.GroupVersionKind, read bool, err error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return gvk, false, err
	}
	gvk = gv.WithKind(kind)
	if known, read, err := unevaluatedKindOf(gvk); known {
		return gvk, read, err
	}
	versions, known := served[kind]
	switch {
	case known && slices.Contains(versions, gv.String()):
		return gvk, true, nil
	case known && removed[gvk] != "":
		return gvk, false, fmt.Errorf("%s %s is no longer served (since Kubernetes %s): use apiVersion %s", apiVersion, kind, removed[gvk], versions[0])
	case known && kubernetesGroup(gv.Group):
		return gvk, false, fmt.Errorf("apiVersion %s does not serve %s: use apiVersion %s", apiVersion, kind, strings.Join(versions, " or "))
	case known:
		// The same name in another project's group, e.g. Calico's
		// projectcalico.org NetworkPolicy.
		return gvk, false, nil
	}
	if right := nearKind(kind); right != "" {
		return gvk, false, fmt.Errorf("kind %q: did you mean %s?", kind, right)
	}
	return gvk, false, nil
}

// kubernetesGroup reports whether an API group is one of Kubernetes' own:
// the core group, the groups without a dot (apps, batch, extensions...)
// and those under k8s.io.
func kubernetesGroup(group string) bool {
	return !strings.Contains(group, ".") || strings.HasSuffix(group, ".k8s.io")
}

// nearKind is the read kind (or list of one) that kind misspells by case,
// surrounding spaces or a plural, or "".
func nearKind(kind string) string {
	k := strings.ToLower(strings.TrimSpace(kind))
	candidates := []string{"List"}
	for name := range served {
		candidates = append(candidates, name, name+"List")
	}
	for _, k := range query.PluginKinds {
		candidates = append(candidates, k.Kind, k.Kind+"List")
	}
	for _, c := range candidates {
		l := strings.ToLower(c)
		plurals := []string{l + "s", l + "es"}
		if strings.HasSuffix(l, "y") {
			plurals = append(plurals, strings.TrimSuffix(l, "y")+"ies")
		}
		if (k == l || slices.Contains(plurals, k)) && kind != c {
			return c
		}
	}
	return ""
}
