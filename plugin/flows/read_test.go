package flows

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The ends of the fixtures (testdata/*.json): pods of the shop namespace,
// CoreDNS, the ingress controller, and addresses on the internet.
var (
	web = query.ObservedEnd{
		Namespace: "shop", Pod: "web-6d4cf56db6-x7k2p", Workload: "Deployment/web",
		Labels: map[string]string{"app.kubernetes.io/name": "web", "tier": "web"},
		IP:     netip.MustParseAddr("10.64.0.12"),
	}
	api = query.ObservedEnd{
		Namespace: "shop", Pod: "api-7f9c8d5b4-q2w8z", Workload: "Deployment/api",
		Labels: map[string]string{"app.kubernetes.io/name": "api", "tier": "backend"},
		IP:     netip.MustParseAddr("10.64.1.7"),
	}
	coredns = query.ObservedEnd{
		Namespace: "kube-system", Pod: "coredns-5d78c9869d-4xk9m", Workload: "Deployment/coredns",
		Labels: map[string]string{"k8s-app": "kube-dns"},
		IP:     netip.MustParseAddr("10.64.1.3"),
	}
	ingress = query.ObservedEnd{
		Namespace: "ingress-nginx", Pod: "ingress-nginx-controller-7b9d6c8f4-h5j6k", Workload: "Deployment/ingress-nginx-controller",
		Labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
		IP:     netip.MustParseAddr("10.64.0.5"),
	}
)

func world(ip string) query.ObservedEnd {
	return query.ObservedEnd{IP: netip.MustParseAddr(ip), Reserved: "world"}
}

// at is a time of the fixtures: seconds after 09:00 on 3 March 2025.
func at(sec float64) time.Time {
	return time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC).Add(time.Duration(sec * float64(time.Second)))
}

func forwarded(n int) map[query.RecordedVerdict]int {
	return map[query.RecordedVerdict]int{query.RecordedForwarded: n}
}

var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

type readCase struct {
	name    string
	paths   []string
	skipBad bool
	want    []query.ObservedConnection
	stats   Stats
	err     string
}

func runReadCases(t *testing.T, cases []readCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, stats, err := Read(tc.paths, nil, Options{SkipBadRecords: tc.skipBad})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts...); diff != "" {
				t.Errorf("connections (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.stats, stats, cmpOpts...); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadHubble(t *testing.T) {
	toWorld := []query.ObservedConnection{{
		Src: api, Dst: world("203.0.113.10"), Protocol: corev1.ProtocolTCP, Port: 443,
		Count: 1, ByVerdict: forwarded(1), First: at(1), Last: at(1),
	}}
	runReadCases(t, []readCase{{
		name:  "a pod-to-pod connection counts once though both nodes and the policy verdict recorded its SYN; replies and ACKs start nothing",
		paths: []string{"testdata/pod-to-pod.json"},
		want: []query.ObservedConnection{{
			// The destination's workload is named only in the records of
			// the destination's node: the connection has it all the same.
			Src: web, Dst: api, Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 2, ByVerdict: forwarded(2), First: at(0.1), Last: at(30),
			Where: "testdata/pod-to-pod.json:1",
		}},
		stats: Stats{Records: 7, Flows: 7, NotInitiating: 3, Duplicates: 2, Connections: 2},
	}, {
		name:  "the records of each node's file meet their other end's in the other file",
		paths: []string{"testdata/nodes"},
		want: []query.ObservedConnection{{
			Src: web, Dst: api, Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 2, ByVerdict: forwarded(2), First: at(0.1), Last: at(30),
			Where: "testdata/nodes/worker-000.json:1",
		}},
		stats: Stats{Records: 7, Flows: 7, NotInitiating: 3, Duplicates: 2, Connections: 2},
	}, {
		name:  "a pod to the internet: the destination is its address, reserved world",
		paths: []string{"testdata/pod-to-world.json"},
		want:  withWhere(toWorld, "testdata/pod-to-world.json:1"),
		stats: Stats{Records: 2, Flows: 2, NotInitiating: 1, Connections: 1},
	}, {
		name:  "a bare Flow a line, as older hubble observe -o json printed, reads as the GetFlowsResponse form",
		paths: []string{"testdata/bare-flow.json"},
		want:  withWhere(toWorld, "testdata/bare-flow.json:1"),
		stats: Stats{Records: 2, Flows: 2, NotInitiating: 1, Connections: 1},
	}, {
		name:  "the internet to the ingress controller through its LoadBalancer: the destination is the backend pod and its port",
		paths: []string{"testdata/world-to-lb.json"},
		want: []query.ObservedConnection{{
			Src: world("198.51.100.7"), Dst: ingress, Protocol: corev1.ProtocolTCP, Port: 80,
			Count: 1, ByVerdict: forwarded(1), First: at(2), Last: at(2),
			Where: "testdata/world-to-lb.json:1",
		}},
		stats: Stats{Records: 2, Flows: 2, NotInitiating: 1, Connections: 1},
	}, {
		name:  "DNS to kube-dns over UDP: each query not a reply, once for both ends",
		paths: []string{"testdata/dns.json"},
		want: []query.ObservedConnection{{
			Src: web, Dst: coredns, Protocol: corev1.ProtocolUDP, Port: 53,
			Count: 2, ByVerdict: forwarded(2), First: at(3), Last: at(4.5),
			Where: "testdata/dns.json:1",
		}},
		stats: Stats{Records: 5, Flows: 5, NotInitiating: 2, Duplicates: 1, Connections: 2},
	}, {
		name:  "forwarded where it leaves, DROPPED POLICY_DENIED where it arrives, sent again: one connection, denied",
		paths: []string{"testdata/policy-denied.json"},
		want: []query.ObservedConnection{{
			Src: web, Dst: api, Protocol: corev1.ProtocolTCP, Port: 5432,
			Count: 1, ByVerdict: map[query.RecordedVerdict]int{query.RecordedDenied: 1}, First: at(5), Last: at(5),
			Where: "testdata/policy-denied.json:1",
		}},
		stats: Stats{Records: 3, Flows: 3, Duplicates: 2, Connections: 1},
	}, {
		name:  "node_status and lost_events records are counted by kind, and the events lost summed",
		paths: []string{"testdata/lost-events.json"},
		want: []query.ObservedConnection{{
			Src: web, Dst: withoutWorkload(api), Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 1, ByVerdict: forwarded(1), First: at(7), Last: at(7),
			Where: "testdata/lost-events.json:2",
		}},
		stats: Stats{Records: 4, Flows: 1, NonFlow: map[string]int{"node_status": 1, "lost_events": 2}, LostEvents: 15, Connections: 1},
	}, {
		name:  "fields newer than the reader, at every level, are ignored",
		paths: []string{"testdata/unknown-field.json"},
		want: []query.ObservedConnection{{
			Src: web, Dst: withoutWorkload(api), Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 1, ByVerdict: forwarded(1), First: at(8), Last: at(8),
			Where: "testdata/unknown-field.json:1",
		}},
		stats: Stats{Records: 1, Flows: 1, Connections: 1},
	}, {
		name:  "TCP without SYN starts nothing, ICMP is not judged",
		paths: []string{"testdata/no-syn.json"},
		stats: Stats{Records: 2, Flows: 2, NotInitiating: 1, Unjudged: 1},
	}, {
		name:  "UDP without is_reply: a reply when its reverse started a connection, a new connection after the window",
		paths: []string{"testdata/udp-reply-unknown.json"},
		want: []query.ObservedConnection{{
			Src: web, Dst: withoutWorkload(coredns), Protocol: corev1.ProtocolUDP, Port: 53,
			Count: 2, ByVerdict: forwarded(2), First: at(10), Last: at(50),
			Where: "testdata/udp-reply-unknown.json:1",
		}},
		stats: Stats{Records: 3, Flows: 3, NotInitiating: 1, Connections: 2},
	}, {
		name:  "a truncated last line is an error naming its file and line",
		paths: []string{"testdata/truncated.json"},
		err:   "testdata/truncated.json:3: truncated record: the input ends inside it",
	}, {
		name:    "a truncated last line is counted with SkipBadRecords",
		paths:   []string{"testdata/truncated.json"},
		skipBad: true,
		want: []query.ObservedConnection{{
			// The reply on line 2 names CoreDNS's workload.
			Src: web, Dst: coredns, Protocol: corev1.ProtocolUDP, Port: 53,
			Count: 1, ByVerdict: forwarded(1), First: at(3), Last: at(3),
			Where: "testdata/truncated.json:1",
		}},
		stats: Stats{Records: 3, Flows: 2, NotInitiating: 1, Bad: 1, FirstBad: "testdata/truncated.json:3: truncated record: the input ends inside it", Connections: 1},
	}, {
		name:  "an invalid address is an error",
		paths: []string{"testdata/bad-records.json"},
		err:   `testdata/bad-records.json:1: invalid IP address "10.64.0.300"`,
	}, {
		name:    "with SkipBadRecords, an invalid address and a SYN without addresses are counted, the rest read",
		paths:   []string{"testdata/bad-records.json"},
		skipBad: true,
		want: []query.ObservedConnection{{
			Src: web, Dst: withoutWorkload(api), Protocol: corev1.ProtocolTCP, Port: 8080,
			Count: 1, ByVerdict: forwarded(1), First: at(0.1), Last: at(0.1),
			Where: "testdata/bad-records.json:3",
		}},
		stats: Stats{Records: 3, Flows: 1, Bad: 2, FirstBad: `testdata/bad-records.json:1: invalid IP address "10.64.0.300"`, Connections: 1},
	}})
}

func withWhere(cs []query.ObservedConnection, where string) []query.ObservedConnection {
	out := make([]query.ObservedConnection, len(cs))
	for i, c := range cs {
		c.Where = where
		out[i] = c
	}
	return out
}

// withoutWorkload is an end as the other node records it, in a file
// where no record names its workload.
func withoutWorkload(e query.ObservedEnd) query.ObservedEnd {
	e.Workload = ""
	return e
}
