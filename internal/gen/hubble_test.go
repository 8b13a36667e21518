package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// hubbleLine is the part of a record the tests look at.
type hubbleLine struct {
	Flow *struct {
		Time           string
		Verdict        string
		DropReasonDesc string `json:"drop_reason_desc"`
		IP             struct{ Source, Destination, IPVersion string }
		L4             struct {
			TCP *struct {
				SourcePort      int `json:"source_port"`
				DestinationPort int `json:"destination_port"`
				Flags           map[string]bool
			}
			UDP *struct {
				SourcePort      int `json:"source_port"`
				DestinationPort int `json:"destination_port"`
			}
			ICMPv4 *struct{ Type int }
		} `json:"l4"`
		Source, Destination struct {
			ID        int
			Identity  int
			Namespace string
			PodName   string `json:"pod_name"`
			Labels    []string
			Workloads []struct{ Name, Kind string }
		}
		NodeName  string `json:"node_name"`
		EventType struct {
			Type    int
			SubType int `json:"sub_type"`
		} `json:"event_type"`
		IsReply   *bool  `json:"is_reply"`
		Direction string `json:"traffic_direction"`
		Summary   string
	}
	NodeStatus *json.RawMessage `json:"node_status"`
	LostEvents *struct {
		NumEventsLost string `json:"num_events_lost"`
	} `json:"lost_events"`
	NodeName string `json:"node_name"`
	Time     string
}

func writeHubble(t *testing.T, cfg HubbleConfig) ([]byte, HubbleStats) {
	t.Helper()
	var b bytes.Buffer
	st, err := Hubble(&b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), st
}

func TestHubbleDeterministic(t *testing.T) {
	cfg := HubbleConfig{Cluster: Config{Pods: 200, Policies: 40, Seed: 3}, Records: 3000, Seed: 7}
	a, sa := writeHubble(t, cfg)
	b, sb := writeHubble(t, cfg)
	if !bytes.Equal(a, b) || sa.Connections != sb.Connections {
		t.Error("the same config wrote different records")
	}
	cfg.Seed++
	if c, _ := writeHubble(t, cfg); bytes.Equal(a, c) {
		t.Error("another seed wrote the same records")
	}
}

// TestHubbleRecords checks every record against the cluster: exactly
// Records lines in time order, each a flow between the cluster's pods
// (by name, namespace and address, workloads only at the pod's own node)
// or addresses outside it, or a record without a flow; and that the mix
// has every kind of record a reader must handle.
func TestHubbleRecords(t *testing.T) {
	cfg := HubbleConfig{Cluster: Config{Pods: 600, Policies: 120, Seed: 1}, Records: 30000, Seed: 1}
	data, st := writeHubble(t, cfg)
	type pod struct{ ns, ip, node string }
	pods := map[string]pod{}
	for _, o := range Cluster(cfg.Cluster) {
		if p, ok := o.(*corev1.Pod); ok {
			pods[p.Namespace+"/"+p.Name] = pod{ns: p.Namespace, ip: p.Status.PodIP, node: p.Spec.NodeName}
		}
	}
	seen := map[string]int{}
	lines, flows, nonFlow, lost := 0, 0, 0, 0
	last := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines++
		var l hubbleLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		if l.Time < last {
			t.Fatalf("line %d: %s is before %s", lines, l.Time, last)
		}
		last = l.Time
		switch {
		case l.LostEvents != nil:
			nonFlow++
			var n int
			if err := json.Unmarshal([]byte(l.LostEvents.NumEventsLost), &n); err != nil {
				t.Fatalf("line %d: num_events_lost %q", lines, l.LostEvents.NumEventsLost)
			}
			lost += n
			seen["lost_events"]++
			continue
		case l.NodeStatus != nil:
			nonFlow++
			seen["node_status"]++
			continue
		case l.Flow == nil:
			t.Fatalf("line %d: no flow, no node_status, no lost_events", lines)
		}
		flows++
		f := l.Flow
		if f.Time != l.Time || f.NodeName != l.NodeName {
			t.Fatalf("line %d: the wrapper's time and node are not the flow's", lines)
		}
		ends := []struct {
			ip   string
			name string
			ns   string
			wl   int
			id   int
		}{
			{f.IP.Source, f.Source.PodName, f.Source.Namespace, len(f.Source.Workloads), f.Source.ID},
			{f.IP.Destination, f.Destination.PodName, f.Destination.Namespace, len(f.Destination.Workloads), f.Destination.ID},
		}
		for i, e := range ends {
			if e.name == "" {
				labels := f.Source.Labels
				if i == 1 {
					labels = f.Destination.Labels
				}
				if !strings.Contains(strings.Join(labels, ","), "reserved:world") {
					t.Fatalf("line %d: an end without a pod is not reserved:world: %v", lines, labels)
				}
				seen["world"]++
				continue
			}
			p, ok := pods[e.ns+"/"+e.name]
			switch {
			case !ok || p.ns != e.ns:
				t.Fatalf("line %d: pod %s/%s is not the cluster's", lines, e.ns, e.name)
			case p.ip != e.ip && f.EventType.Type != 7:
				t.Fatalf("line %d: pod %s has %s, not %s", lines, e.name, p.ip, e.ip)
			case (p.node == f.NodeName) != (e.wl == 1 && e.id > 0):
				t.Fatalf("line %d: pod %s on %s named with %d workloads and ID %d at %s", lines, e.name, p.node, e.wl, e.id, f.NodeName)
			}
		}
		switch {
		case f.Verdict == "DROPPED" && f.DropReasonDesc == "POLICY_DENIED":
			seen["policy denied"]++
		case f.L4.TCP != nil && f.L4.TCP.Flags["SYN"] && f.L4.TCP.Flags["ACK"]:
			seen["SYN-ACK"]++
		case f.L4.TCP != nil && f.L4.TCP.Flags["SYN"]:
			seen["SYN"]++
		case f.L4.TCP != nil && f.L4.TCP.Flags["ACK"] && len(f.L4.TCP.Flags) == 1:
			seen["ACK"]++
		case f.L4.UDP != nil && f.L4.UDP.DestinationPort == 53 && f.Destination.Namespace == "kube-system":
			seen["DNS to kube-dns"]++
		case f.L4.ICMPv4 != nil:
			seen["ICMP"]++
		}
		if f.IsReply != nil && *f.IsReply {
			seen["reply"]++
		}
		if f.EventType.Type == 5 {
			seen["policy verdict"]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines != cfg.Records || st.Records != lines || st.Flows != flows || st.NonFlow["lost_events"]+st.NonFlow["node_status"] != nonFlow || st.LostEvents != lost {
		t.Errorf("%d lines, %d flows, %d without, %d lost; stats %+v", lines, flows, nonFlow, lost, st)
	}
	if st.Forwarded+st.Denied != st.Connections || st.Duplicates == 0 || st.Distinct == 0 || st.Distinct > st.Connections {
		t.Errorf("stats %+v", st)
	}
	for _, k := range []string{"SYN", "SYN-ACK", "ACK", "reply", "DNS to kube-dns", "world", "policy denied", "policy verdict", "ICMP", "lost_events", "node_status"} {
		if seen[k] == 0 {
			t.Errorf("no %s record in %d", k, lines)
		}
	}
}

// TestHubbleSmallClusters: clusters too small for ingress-nginx and
// Prometheus still have traffic; a cluster without pods is an error.
func TestHubbleSmallClusters(t *testing.T) {
	for _, pods := range []int{5, 60} {
		_, st := writeHubble(t, HubbleConfig{Cluster: Config{Pods: pods, Policies: pods / 5, Seed: 2}, Records: 500, Seed: 1})
		if st.Records != 500 || st.Connections == 0 {
			t.Errorf("%d pods: %+v", pods, st)
		}
	}
	var b bytes.Buffer
	if _, err := Hubble(&b, HubbleConfig{Records: 10}); err == nil {
		t.Error("no error for a cluster without pods")
	}
}
