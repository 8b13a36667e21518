package query

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Protocols lists the transport protocols NetworkPolicy ports can name, in
// the order answers print them.
var Protocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

const (
	minPort = 1
	maxPort = 65535
)

// PortRange is an inclusive range of port numbers.
type PortRange struct {
	From int32 `json:"from"`
	To   int32 `json:"to"`
}

// PortSet is a set of ports per protocol, kept as sorted, disjoint,
// non-adjacent interval lists so that "every port" costs one interval, not
// 65,535 entries. The zero value is the empty set.
type PortSet struct {
	// ranges is indexed like Protocols. Slices are never modified once a
	// set is built, so sets may share them.
	ranges [3][]PortRange
}

// protoIndex is the index of a protocol in Protocols, or -1.
func protoIndex(p corev1.Protocol) int {
	switch p {
	case corev1.ProtocolTCP:
		return 0
	case corev1.ProtocolUDP:
		return 1
	case corev1.ProtocolSCTP:
		return 2
	}
	return -1
}

var allPorts = PortSet{ranges: [3][]PortRange{{{minPort, maxPort}}, {{minPort, maxPort}}, {{minPort, maxPort}}}}

// AllPorts is every port of every protocol: what a rule without ports allows.
func AllPorts() PortSet { return allPorts }

// ProtocolPorts is every port of one protocol.
func ProtocolPorts(proto corev1.Protocol) PortSet {
	return PortRangeSet(proto, minPort, maxPort)
}

// SinglePort is one port of one protocol.
func SinglePort(proto corev1.Protocol, port int32) PortSet {
	return PortRangeSet(proto, port, port)
}

// PortRangeSet is the inclusive range from..to of one protocol.
func PortRangeSet(proto corev1.Protocol, from, to int32) PortSet {
	var s PortSet
	if i := protoIndex(proto); i >= 0 && from <= to {
		s.ranges[i] = []PortRange{{From: from, To: to}}
	}
	return s
}

// Ranges returns the intervals of one protocol, sorted.
func (s PortSet) Ranges(proto corev1.Protocol) []PortRange {
	if i := protoIndex(proto); i >= 0 {
		return s.ranges[i]
	}
	return nil
}

// IsEmpty reports whether the set holds no port at all.
func (s PortSet) IsEmpty() bool {
	for _, r := range s.ranges {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

// IsAll reports whether the set holds every port of every protocol.
func (s PortSet) IsAll() bool {
	return s.Equal(AllPorts())
}

// Contains reports whether port/proto is in the set.
func (s PortSet) Contains(proto corev1.Protocol, port int32) bool {
	rs := s.Ranges(proto)
	// The first range that ends at or after port is the only candidate.
	i, _ := slices.BinarySearchFunc(rs, port, func(r PortRange, p int32) int { return cmp.Compare(r.To, p) })
	return i < len(rs) && rs[i].From <= port
}

// Equal reports whether two sets hold the same ports.
func (s PortSet) Equal(o PortSet) bool {
	for i := range s.ranges {
		if !slices.Equal(s.ranges[i], o.ranges[i]) {
			return false
		}
	}
	return true
}

// hash is an FNV-1a hash of the set's ranges: equal sets hash alike.
func (s PortSet) hash() uint64 {
	h := uint64(14695981039346656037)
	mix := func(v uint64) {
		h ^= v
		h *= 1099511628211
	}
	for i, rs := range s.ranges {
		mix(uint64(i) | 1<<32)
		for _, r := range rs {
			mix(uint64(uint32(r.From))<<32 | uint64(uint32(r.To)))
		}
	}
	return h
}

// Union is every port in s or o, merged in one pass over both.
func (s PortSet) Union(o PortSet) PortSet {
	var out PortSet
	for i := range s.ranges {
		switch {
		case len(o.ranges[i]) == 0:
			out.ranges[i] = s.ranges[i]
		case len(s.ranges[i]) == 0, isFull(o.ranges[i]):
			out.ranges[i] = o.ranges[i]
		case isFull(s.ranges[i]) || slices.Equal(s.ranges[i], o.ranges[i]):
			out.ranges[i] = s.ranges[i]
		default:
			out.ranges[i] = mergeRanges(s.ranges[i], o.ranges[i])
		}
	}
	return out
}

// mergeRanges is the union of two normalized interval lists, normalized:
// the next interval is always the one that starts first, so one pass
// suffices.
func mergeRanges(a, b []PortRange) []PortRange {
	out := make([]PortRange, 0, len(a)+len(b))
	for i, j := 0, 0; i < len(a) || j < len(b); {
		var r PortRange
		if j == len(b) || (i < len(a) && a[i].From <= b[j].From) {
			r, i = a[i], i+1
		} else {
			r, j = b[j], j+1
		}
		if n := len(out); n > 0 && r.From <= out[n-1].To+1 {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out)
}

// isFull tells whether the ranges of one protocol hold every port.
func isFull(rs []PortRange) bool {
	return len(rs) == 1 && rs[0].From == minPort && rs[0].To == maxPort
}

// Intersect is every port in both s and o.
func (s PortSet) Intersect(o PortSet) PortSet {
	var out PortSet
	for p := range s.ranges {
		var res []PortRange
		a, b := s.ranges[p], o.ranges[p]
		if slices.Equal(a, b) {
			out.ranges[p] = a
			continue
		}
		for i, j := 0, 0; i < len(a) && j < len(b); {
			lo, hi := max(a[i].From, b[j].From), min(a[i].To, b[j].To)
			if lo <= hi {
				res = append(res, PortRange{From: lo, To: hi})
			}
			if a[i].To < b[j].To {
				i++
			} else {
				j++
			}
		}
		if len(res) > 0 {
			out.ranges[p] = res
		}
	}
	return out
}

// Subtract is every port in s that is not in o, in one pass over both:
// holes that end before the current range are never looked at again.
func (s PortSet) Subtract(o PortSet) PortSet {
	var out PortSet
	for p := range s.ranges {
		if len(o.ranges[p]) == 0 {
			out.ranges[p] = s.ranges[p] // nothing to cut: share it
			continue
		}
		var res []PortRange
		holes := o.ranges[p]
		h := 0
		for _, r := range s.ranges[p] {
			cur := r
			for h < len(holes) && holes[h].To < cur.From {
				h++
			}
			keep := true
			// Holes starting inside cur cut it; the last one may reach
			// into the next range, so it is not passed.
			for k := h; k < len(holes) && holes[k].From <= cur.To; k++ {
				if holes[k].From > cur.From {
					res = append(res, PortRange{From: cur.From, To: holes[k].From - 1})
				}
				if holes[k].To >= cur.To {
					keep = false
					break
				}
				cur.From = holes[k].To + 1
				h = k + 1
			}
			if keep {
				res = append(res, cur)
			}
		}
		if len(res) > 0 {
			out.ranges[p] = res
		}
	}
	return out
}

// portSetOf builds a set from unsorted, possibly overlapping intervals per
// protocol (indexed like Protocols) with one sort and merge each, instead
// of one union per interval. It takes ownership of the slices.
func portSetOf(rs [3][]PortRange) PortSet {
	var s PortSet
	for i := range rs {
		s.ranges[i] = slices.Clip(normalize(rs[i]))
	}
	return s
}

// normalize sorts intervals and merges overlapping or adjacent ones, in
// place.
func normalize(rs []PortRange) []PortRange {
	if len(rs) == 0 {
		return nil
	}
	slices.SortFunc(rs, func(a, b PortRange) int { return cmp.Compare(a.From, b.From) })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.From <= last.To+1 {
			last.To = max(last.To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// String renders the set as "TCP 80,443,8000-8080; UDP 53", "all ports" or
// "no ports".
func (s PortSet) String() string {
	if s.IsEmpty() {
		return "no ports"
	}
	if s.IsAll() {
		return "all ports"
	}
	var parts []string
	for i, p := range Protocols {
		rs := s.ranges[i]
		if len(rs) == 0 {
			continue
		}
		if len(rs) == 1 && rs[0].From == minPort && rs[0].To == maxPort {
			parts = append(parts, string(p)+" all ports")
			continue
		}
		nums := make([]string, len(rs))
		for i, r := range rs {
			nums[i] = r.String()
		}
		parts = append(parts, string(p)+" "+strings.Join(nums, ","))
	}
	return strings.Join(parts, "; ")
}

// String renders a range as "80" or "8000-8080".
func (r PortRange) String() string {
	if r.From == r.To {
		return strconv.Itoa(int(r.From))
	}
	return fmt.Sprintf("%d-%d", r.From, r.To)
}

// portSetJSON is the wire form of a PortSet: one entry per protocol that has
// ports, in protocol order.
type portSetJSON struct {
	Protocol corev1.Protocol `json:"protocol"`
	Ranges   []PortRange     `json:"ranges"`
}

// MarshalJSON writes the set as [{"protocol":"TCP","ranges":[{"from":80,"to":80}]}].
func (s PortSet) MarshalJSON() ([]byte, error) {
	out := []portSetJSON{}
	for i, p := range Protocols {
		if rs := s.ranges[i]; len(rs) > 0 {
			out = append(out, portSetJSON{Protocol: p, Ranges: rs})
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (s *PortSet) UnmarshalJSON(b []byte) error {
	var in []portSetJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	var rs [3][]PortRange
	for _, e := range in {
		i := protoIndex(e.Protocol)
		if i < 0 {
			continue
		}
		for _, r := range e.Ranges {
			if r.From <= r.To {
				rs[i] = append(rs[i], r)
			}
		}
	}
	*s = portSetOf(rs)
	return nil
}
