package plugin

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// What -o name prints, per command: the objects the answer points at, one
// per line as kubectl's name printer writes them (kind.group/name, without
// the namespace, as kubectl get -A -o name), each once, in the answer's
// order:
//
//   - can: the policies that judge the flow (those selecting the source
//     for egress and the destination for ingress, and the cluster
//     policies whose rules decided it);
//   - explain, map: the workloads (and bare pods) explained or drawn;
//   - diff: the workloads at either end of a changed flow;
//   - test: the endpoints of the expectations that fail;
//   - audit: the objects of the findings (namespaces, policies,
//     workloads);
//   - replay: the workloads at either end of a connection that changes
//     verdict, or whose recorded verdict the model contradicts;
//   - generate: the generated policies.
//
// Addresses outside the cluster, groups of bare pods (pods ns/{labels})
// and findings about the cluster as a whole name no object and are left
// out.

// nameKind is a kind answers name, at the version the engine reads it.
type nameKind struct {
	gvk        schema.GroupVersionKind
	namespaced bool
}

// kindsByName are the kinds answers name, by the lower-case name they are
// written with ("deployment prod/api").
var kindsByName = func() map[string]nameKind {
	m := map[string]nameKind{}
	for _, gv := range []struct {
		gv                    string
		namespaced, clustered []string
	}{
		{"v1", []string{"Pod", "Service", "ReplicationController"}, []string{"Namespace", "Node"}},
		{"apps/v1", []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}, nil},
		{"batch/v1", []string{"Job", "CronJob"}, nil},
		{"networking.k8s.io/v1", []string{"NetworkPolicy"}, nil},
		{"policy.networking.k8s.io/v1beta1", nil, []string{"ClusterNetworkPolicy"}},
		{"policy.networking.k8s.io/v1alpha1", nil, []string{"AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}},
		{"cilium.io/v2", []string{"CiliumNetworkPolicy"}, []string{"CiliumClusterwideNetworkPolicy", "CiliumCIDRGroup"}},
	} {
		v, _ := schema.ParseGroupVersion(gv.gv)
		for _, k := range gv.namespaced {
			m[strings.ToLower(k)] = nameKind{v.WithKind(k), true}
		}
		for _, k := range gv.clustered {
			m[strings.ToLower(k)] = nameKind{v.WithKind(k), false}
		}
	}
	return m
}()

// nameList collects the objects -o name prints, each once.
type nameList struct {
	list *unstructured.UnstructuredList
	seen map[string]bool
}

// add adds an object of a kind answers name; kinds they do not (a
// group of pods, an address) are left out.
func (n *nameList) add(kind, namespace, name string) {
	k, ok := kindsByName[strings.ToLower(kind)]
	if !ok || name == "" {
		return
	}
	gvk := k.gvk
	if !k.namespaced {
		namespace = ""
	}
	key := gvk.String() + "/" + namespace + "/" + name
	if n.seen[key] {
		return
	}
	n.seen[key] = true
	u := unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(namespace)
	u.SetName(name)
	n.list.Items = append(n.list.Items, u)
}

// addNamed adds an object as answers write it: "deployment prod/api",
// "namespace dev", "clusternetworkpolicy deny-all".
func (n *nameList) addNamed(s string) {
	kind, rest, ok := strings.Cut(s, " ")
	if !ok {
		return
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok {
		ns, name = "", rest
	}
	n.add(kind, ns, name)
}

// addPolicy adds a policy as traces name it: "prod/db" for a
// NetworkPolicy, "CiliumNetworkPolicy/prod/db", "Kind/name" for cluster
// scoped ones. A kind has capitals, a namespace never.
func (n *nameList) addPolicy(key string) {
	parts := strings.Split(key, "/")
	switch len(parts) {
	case 2:
		if strings.ToLower(parts[0]) != parts[0] {
			n.add(parts[0], "", parts[1])
			return
		}
		n.add("NetworkPolicy", parts[0], parts[1])
	case 3:
		n.add(parts[0], parts[1], parts[2])
	}
}

// addEndpoint adds a resolved endpoint: the object it names, or the pods
// a selector or an address stands for.
func (n *nameList) addEndpoint(e *query.Endpoint) {
	switch {
	case e == nil || e.Kind == "External":
	case e.Kind == "Selector" || e.Kind == "Address":
		for _, p := range e.Pods {
			ns, name, _ := strings.Cut(p, "/")
			n.add("Pod", ns, name)
		}
	default:
		n.add(e.Kind, e.Namespace, e.Name)
	}
}

// namedList is the list of objects -o name prints for an answer document.
func namedList(doc any) *unstructured.UnstructuredList {
	n := nameList{list: &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List"}}, seen: map[string]bool{}}
	switch d := doc.(type) {
	case *query.Answer:
		for _, p := range d.Pairs {
			for _, t := range []query.DirectionTrace{p.Egress, p.Ingress} {
				for _, pol := range t.Policies {
					n.addPolicy(pol.Name)
				}
				for _, tr := range t.Tiers {
					n.add(tr.Kind, "", tr.Policy)
				}
			}
		}
	case *query.Explanation:
		for _, u := range d.Workloads {
			n.addNamed(u.Workload)
		}
	case *query.Graph:
		for _, node := range d.Nodes {
			n.add(node.Kind, node.Namespace, node.Name)
		}
	case *query.DiffResult:
		for _, c := range d.Changes {
			n.addNamed(c.Source)
			n.addNamed(c.Destination)
		}
	case *output.TestReport:
		for _, c := range d.Results {
			if !c.Pass && c.Answer != nil {
				n.addEndpoint(c.Answer.Source)
				n.addEndpoint(c.Answer.Destination)
			}
		}
	case *query.Audit:
		for _, f := range d.Findings {
			n.addNamed(f.Object)
		}
	case *query.ReplayResult:
		for _, c := range d.Connections {
			if c.Change != "" || c.Disagreement != "" {
				n.addNamed(c.From)
				n.addNamed(c.To)
			}
		}
	case *query.Generated:
		for _, p := range d.Policies {
			n.add(p.Kind, p.Namespace, p.Name)
		}
	}
	return n.list
}
