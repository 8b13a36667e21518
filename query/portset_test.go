package query

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

const (
	tcp  = corev1.ProtocolTCP
	udp  = corev1.ProtocolUDP
	sctp = corev1.ProtocolSCTP
)

func TestPortSetOperations(t *testing.T) {
	web := SinglePort(tcp, 80).Union(SinglePort(tcp, 443)).Union(PortRangeSet(tcp, 8000, 8080))
	tests := []struct {
		name string
		got  PortSet
		want string
	}{
		{"the zero value is empty", PortSet{}, "no ports"},
		{"union keeps protocols apart and sorts", web.Union(SinglePort(udp, 53)), "TCP 80,443,8000-8080; UDP 53"},
		{"union merges adjacent ranges", PortRangeSet(tcp, 1, 79).Union(PortRangeSet(tcp, 80, 100)), "TCP 1-100"},
		{"union merges overlapping ranges", PortRangeSet(tcp, 10, 50).Union(PortRangeSet(tcp, 40, 60)), "TCP 10-60"},
		{"all ports of every protocol", AllPorts(), "all ports"},
		{"all ports of one protocol", ProtocolPorts(sctp), "SCTP all ports"},
		{"intersection of ranges", web.Intersect(PortRangeSet(tcp, 443, 8001)), "TCP 443,8000-8001"},
		{"intersection across protocols is empty", web.Intersect(ProtocolPorts(udp)), "no ports"},
		{"intersection with all ports is identity", web.Intersect(AllPorts()), "TCP 80,443,8000-8080"},
		{"subtract splits a range", PortRangeSet(tcp, 1, 100).Subtract(PortRangeSet(tcp, 40, 60)), "TCP 1-39,61-100"},
		{"subtract at the edges", PortRangeSet(tcp, 1, 100).Subtract(SinglePort(tcp, 1)).Subtract(SinglePort(tcp, 100)), "TCP 2-99"},
		{"subtract everything", web.Subtract(ProtocolPorts(tcp)), "no ports"},
		{"subtract several holes", ProtocolPorts(udp).Subtract(web.Union(SinglePort(udp, 53)).Union(SinglePort(udp, 1000))), "UDP 1-52,54-999,1001-65535"},
		{"an inverted range is empty", PortRangeSet(tcp, 9, 8), "no ports"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPortSetContains(t *testing.T) {
	s := PortRangeSet(tcp, 8000, 8080).Union(SinglePort(udp, 53))
	for _, c := range []struct {
		proto corev1.Protocol
		port  int32
		want  bool
	}{{tcp, 8000, true}, {tcp, 8080, true}, {tcp, 7999, false}, {tcp, 8081, false}, {udp, 53, true}, {tcp, 53, false}, {sctp, 53, false}} {
		if got := s.Contains(c.proto, c.port); got != c.want {
			t.Errorf("Contains(%s, %d) = %v, want %v", c.proto, c.port, got, c.want)
		}
	}
}

func TestPortSetJSONRoundTrip(t *testing.T) {
	s := PortRangeSet(tcp, 8000, 8080).Union(SinglePort(tcp, 80)).Union(SinglePort(udp, 53))
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"protocol":"TCP","ranges":[{"from":80,"to":80},{"from":8000,"to":8080}]},{"protocol":"UDP","ranges":[{"from":53,"to":53}]}]`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	var back PortSet
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(s) {
		t.Errorf("round trip = %s, want %s", back, s)
	}
}
