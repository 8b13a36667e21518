package gen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The traffic of a generated cluster, as Hubble sees it: its pods with
// their Cilium endpoints, the nodes they run on, and who calls whom.

type proto uint8

const (
	protoTCP proto = iota + 1
	protoUDP
	protoICMP
)

// verdict is a connection's most severe recorded verdict so far.
type verdict uint8

const (
	verdictNone verdict = iota
	verdictForwarded
	verdictDenied
)

// hpod is a pod as its records show it.
type hpod struct {
	ns, name string
	wl       *workload
	node     int
	// named is set once a record written names the pod's workload.
	named         bool
	local, remote []byte // its endpoint's JSON at its own node, and elsewhere
	mac           string
}

// end is one end of a connection: a pod, or an address outside the
// cluster. index numbers pods from 0 and outside addresses below 0.
type end struct {
	pod   *hpod
	ip    netip.Addr
	ipStr string
	world []byte // the endpoint's JSON, outside the cluster
	index int32
}

type hnode struct {
	name   string
	labels []byte // node_labels' JSON
	mac    string
}

// svcRef is the Service a connection went through: the socket-LB
// translation of the connection is from its address and port.
type svcRef struct {
	name, ns string
	ip       netip.Addr
	ipStr    string
	port     uint16
}

// conn is a connection being recorded.
type conn struct {
	src, dst     *end
	proto        proto
	sport, dport uint16
	svc          *svcRef
	lat          int64 // one-way, nanoseconds
	counted      bool
	worst        verdict
}

// node is the node of the end whose side a record is taken at.
func (c *conn) node(side uint8) int {
	if side == 0 {
		return c.src.pod.node
	}
	return c.dst.pod.node
}

// call is a workload calling another on one of its served ports.
type call struct {
	from, to *workload
	port     corev1.ContainerPort
}

// traffic is what the generator draws connections from.
type traffic struct {
	rng        *rand.Rand
	pods       []*end
	byWorkload map[*workload][]*end
	nodes      []hnode
	outside    map[netip.Addr]*end
	outsides   []*end // by -1-index
	services   map[*workload][]*corev1.Service

	calls      []call  // the cluster's calls between workloads
	resolvers  []*end  // CoreDNS
	kubeDNS    *svcRef // its Service
	apps       []*end  // pods of application namespaces
	ingress    []*end  // ingress-nginx controllers
	fronts     []call  // ingress-nginx to the frontends
	scrapers   []*end  // Prometheus
	scrape     []call  // Prometheus to the metrics ports
	agents     map[int]*end
	telemetry  []*end       // pods that send to their node's agent
	internet   []*workload  // workloads that call the internet
	partner    []*workload  // and partner backends
	confined   []*workload  // workloads whose egress excludes the internet
	clients    []netip.Addr // addresses on the internet that call the ingress
	saas       []netip.Addr // addresses on the internet pods call
	isolated   map[*namespace]bool
	egressOnly map[*namespace]bool // egress isolated
	mix        []mixPart
}

// mixPart is a kind of connection and its share of the connections.
type mixPart struct {
	weight float64
	kind   connKind
}

type connKind uint8

const (
	kindCall connKind = iota
	kindDNS
	kindFromWorld
	kindToFront
	kindScrape
	kindTelemetry
	kindInternet
	kindPartner
	kindProbe
	kindProbeEgress
	kindPing
)

// newTraffic indexes a generated cluster's objects and calls.
func newTraffic(g *generator, rng *rand.Rand) *traffic {
	t := &traffic{
		rng:        rng,
		byWorkload: map[*workload][]*end{},
		outside:    map[netip.Addr]*end{},
		services:   map[*workload][]*corev1.Service{},
		agents:     map[int]*end{},
		isolated:   map[*namespace]bool{},
		egressOnly: map[*namespace]bool{},
	}
	workloads := map[string]*workload{}
	for _, ns := range g.namespaces {
		for _, w := range ns.workloads {
			workloads[ns.name+"/"+w.kind+"/"+w.name] = w
		}
		for _, np := range ns.policies {
			if len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) > 0 {
				continue
			}
			ingress, egress := policyTypes(np)
			t.isolated[ns] = t.isolated[ns] || ingress
			t.egressOnly[ns] = t.egressOnly[ns] || egress
		}
	}
	owners := map[string]string{} // ReplicaSet to Deployment
	nodes := map[string]int{}
	identities := map[string]int{}
	services := map[string]*corev1.Service{}
	for _, o := range g.objects() {
		switch o := o.(type) {
		case *appsv1.ReplicaSet:
			owners[o.Namespace+"/"+o.Name] = o.OwnerReferences[0].Name
		case *corev1.Service:
			services[o.Namespace+"/"+o.Name] = o
		case *corev1.Pod:
			ref := o.OwnerReferences[0]
			kind, name := ref.Kind, ref.Name
			if kind == "ReplicaSet" {
				kind, name = "Deployment", owners[o.Namespace+"/"+name]
			}
			w := workloads[o.Namespace+"/"+kind+"/"+name]
			n, ok := nodes[o.Spec.NodeName]
			if !ok {
				n = len(t.nodes)
				nodes[o.Spec.NodeName] = n
				t.nodes = append(t.nodes, t.node(o.Spec.NodeName, n))
			}
			p := &hpod{ns: o.Namespace, name: o.Name, wl: w, node: n, mac: t.mac()}
			p.local, p.remote = t.endpoint(o, g.byName[o.Namespace], w, identities)
			ip := netip.MustParseAddr(o.Status.PodIP)
			e := &end{pod: p, ip: ip, ipStr: ip.String(), index: int32(len(t.pods))}
			t.pods = append(t.pods, e)
			t.byWorkload[w] = append(t.byWorkload[w], e)
		}
	}
	for _, w := range workloads {
		for _, s := range w.services {
			t.services[w] = append(t.services[w], services[w.ns.name+"/"+s.name])
		}
	}
	t.plan(g)
	return t
}

// plan lists the calls and weighs the kinds of connection by what the
// cluster has.
func (t *traffic) plan(g *generator) {
	for _, ns := range g.namespaces {
		for _, w := range ns.workloads {
			for _, u := range w.uses {
				for _, p := range u.served {
					t.calls = append(t.calls, call{from: w, to: u, port: p})
				}
			}
			switch {
			case ns.name == "kube-system" && w.name == "coredns":
				t.resolvers = t.byWorkload[w]
				if s := t.service(w, w.served[0]); s != nil {
					t.kubeDNS = s
				}
			case ns.name == "ingress-nginx":
				t.ingress = t.byWorkload[w]
			case ns.name == "monitoring" && w.name == "prometheus":
				t.scrapers = t.byWorkload[w]
			case ns.name == "monitoring" && w.name == "otel-agent":
				for _, e := range t.byWorkload[w] {
					t.agents[e.pod.node] = e
				}
			}
			if w.internet {
				t.internet = append(t.internet, w)
			}
			if w.partner {
				t.partner = append(t.partner, w)
			}
			if !ns.system && !w.internet && t.egressOnly[ns] {
				t.confined = append(t.confined, w)
			}
			if !ns.system {
				t.apps = append(t.apps, t.byWorkload[w]...)
				if !t.egressOnly[ns] {
					t.telemetry = append(t.telemetry, t.byWorkload[w]...)
				}
			}
		}
	}
	var ingressNginx *workload
	if len(t.ingress) > 0 {
		ingressNginx = t.ingress[0].pod.wl
	}
	for _, ns := range g.namespaces {
		for _, w := range ns.workloads {
			if w.component == "frontend" && ingressNginx != nil {
				for _, p := range w.served {
					t.fronts = append(t.fronts, call{from: ingressNginx, to: w, port: p})
				}
			}
			if len(t.scrapers) > 0 {
				for _, c := range append(slices.Clone(w.containers), w.sidecars...) {
					for _, p := range c.Ports {
						if p.Name == "metrics" {
							t.scrape = append(t.scrape, call{from: t.scrapers[0].pod.wl, to: w, port: p})
						}
					}
				}
			}
		}
	}
	for range 5000 {
		t.clients = append(t.clients, t.publicAddr())
	}
	for range 300 {
		t.saas = append(t.saas, t.publicAddr())
	}
	add := func(w float64, k connKind, ok bool) {
		if ok {
			t.mix = append(t.mix, mixPart{weight: w, kind: k})
		}
	}
	add(40, kindCall, len(t.calls) > 0)
	add(25, kindDNS, len(t.resolvers) > 0 && len(t.apps) > 0)
	add(7, kindFromWorld, len(t.ingress) > 0)
	add(7, kindToFront, len(t.fronts) > 0)
	add(6, kindScrape, len(t.scrape) > 0)
	add(5, kindTelemetry, len(t.agents) > 0 && len(t.telemetry) > 0)
	add(4, kindInternet, len(t.internet) > 0)
	add(1, kindPartner, len(t.partner) > 0)
	add(2, kindProbe, len(t.calls) > 0)
	add(1, kindProbeEgress, len(t.confined) > 0)
	add(0.5, kindPing, len(t.internet) > 0)
}

// publicAddr is an address on the internet: not private, shared,
// loopback, link-local, multicast or documentation space.
func (t *traffic) publicAddr() netip.Addr {
	for {
		a := netip.AddrFrom4([4]byte{byte(1 + t.rng.IntN(223)), byte(t.rng.IntN(256)), byte(t.rng.IntN(256)), byte(1 + t.rng.IntN(254))})
		b := a.As4()
		switch {
		case b[0] == 10, b[0] == 127, b[0] == 100 && b[1]&0xc0 == 64, b[0] == 169 && b[1] == 254,
			b[0] == 172 && b[1]&0xf0 == 16, b[0] == 192 && b[1] == 168, b[0] == 192 && b[1] == 0,
			b[0] == 198 && b[1]&0xfe == 18, b[0] == 198 && b[1] == 51, b[0] == 203 && b[1] == 0:
			continue
		}
		return a
	}
}

// world is the end of an address outside the cluster; cidr gives it the
// identity of an address a policy names (cidr: label), not plain world.
func (t *traffic) world(a netip.Addr, cidr bool) *end {
	if e, ok := t.outside[a]; ok {
		return e
	}
	e := &end{ip: a, ipStr: a.String(), index: -1 - int32(len(t.outside))}
	if cidr {
		e.world = fmt.Appendf(nil, `{"identity":%d,"labels":["cidr:%s/32","reserved:world"]}`, 16777217+len(t.outside), e.ipStr)
	} else {
		e.world = []byte(`{"identity":2,"labels":["reserved:world"]}`)
	}
	t.outside[a] = e
	t.outsides = append(t.outsides, e)
	return e
}

// key is an end as a reader aggregates it.
func (t *traffic) key(index int32) string {
	if index < 0 {
		return t.outsides[-1-index].ipStr
	}
	p := t.pods[index].pod
	if p.named {
		return p.ns + "/" + p.wl.kind + "/" + p.wl.name
	}
	return p.ns + "/" + p.name
}

// service is the Service a client reaches a served port of w through.
func (t *traffic) service(w *workload, p corev1.ContainerPort) *svcRef {
	for _, s := range t.services[w] {
		if s.Spec.ClusterIP == "" || s.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		for _, sp := range s.Spec.Ports {
			if sp.Protocol == p.Protocol && (sp.TargetPort.StrVal == p.Name || sp.TargetPort.IntVal == p.ContainerPort) {
				ip := netip.MustParseAddr(s.Spec.ClusterIP)
				return &svcRef{name: s.Name, ns: s.Namespace, ip: ip, ipStr: ip.String(), port: uint16(sp.Port)}
			}
		}
	}
	return nil
}

func (t *traffic) mac() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", byte(t.rng.IntN(256))&0xfe|0x02,
		t.rng.IntN(256), t.rng.IntN(256), t.rng.IntN(256), t.rng.IntN(256), t.rng.IntN(256))
}

func (t *traffic) node(name string, n int) hnode {
	zone := "eu-west-1" + string(rune('a'+n%3))
	labels, _ := json.Marshal([]string{
		"kubernetes.io/arch=amd64", "kubernetes.io/hostname=" + name, "kubernetes.io/os=linux",
		"topology.kubernetes.io/zone=" + zone,
	})
	return hnode{name: name, labels: labels, mac: t.mac()}
}

// ciliumIgnored are the pod labels Cilium leaves out of identities, so
// out of Hubble's labels.
var ciliumIgnored = []string{
	"pod-template-hash", "controller-revision-hash", "pod-template-generation",
	"statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
}

// endpoint is a pod's endpoint as Hubble writes it: at the pod's own node
// (with its endpoint ID and workloads), and at any other.
func (t *traffic) endpoint(p *corev1.Pod, ns *namespace, w *workload, identities map[string]int) (local, remote []byte) {
	var labels []string
	for k, v := range p.Labels {
		if !slices.Contains(ciliumIgnored, k) {
			labels = append(labels, "k8s:"+k+"="+v)
		}
	}
	for k, v := range ns.labels {
		labels = append(labels, "k8s:io.cilium.k8s.namespace.labels."+k+"="+v)
	}
	labels = append(labels,
		"k8s:io.cilium.k8s.policy.cluster=default",
		"k8s:io.cilium.k8s.policy.serviceaccount="+p.Spec.ServiceAccountName,
		"k8s:io.kubernetes.pod.namespace="+p.Namespace)
	slices.Sort(labels)
	lj, _ := json.Marshal(labels)
	id, ok := identities[string(lj)]
	if !ok {
		id = 10000 + 7*len(identities) + t.rng.IntN(7)
		identities[string(lj)] = id
	}
	nsj, _ := json.Marshal(p.Namespace)
	podj, _ := json.Marshal(p.Name)
	common := fmt.Sprintf(`"identity":%d,"cluster_name":"default","namespace":%s,"labels":%s,"pod_name":%s`, id, nsj, lj, podj)
	remote = []byte("{" + common + "}")
	wname, _ := json.Marshal(w.name)
	local = fmt.Appendf(nil, `{"ID":%d,%s,"workloads":[{"name":%s,"kind":%q}]}`, 1+t.rng.IntN(4095), common, wname, w.kind)
	return local, remote
}
