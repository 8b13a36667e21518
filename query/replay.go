package query

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// Replay of observed traffic (docs/semantics.md section 21): each distinct
// observed connection is placed onto the snapshot (its ends as pods or
// addresses) and judged as "can" judges it, under the current state and,
// for a what-if, under the changed one; without a what-if, the model's
// verdict is compared with the one the dataplane recorded.

// ReplayedConnection is one observed connection and how it is judged.
type ReplayedConnection struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
	Count    int    `json:"count"`
	// Recorded counts the connections by the verdict the dataplane
	// recorded (FORWARDED, DENIED by policy, DROPPED otherwise).
	Recorded    map[RecordedVerdict]int `json:"recorded,omitempty"`
	First, Last time.Time               `json:"-"`
	FirstSeen   string                  `json:"firstSeen,omitempty"`
	LastSeen    string                  `json:"lastSeen,omitempty"`
	Where       string                  `json:"where,omitempty"`
	// Unplaced says why an end could not be placed on the snapshot; the
	// connection is then not judged.
	Unplaced string `json:"unplaced,omitempty"`
	// Before is the verdict under the current state, After under the
	// change (what-if only).
	Before *ReplayVerdict `json:"before,omitempty"`
	After  *ReplayVerdict `json:"after,omitempty"`
	// Change is "newly denied", "newly allowed", "undecided" or "" (what-if);
	// Disagreement says how model and dataplane disagree (no what-if).
	Change       string `json:"change,omitempty"`
	Disagreement string `json:"disagreement,omitempty"`
}

// ReplayVerdict is a model's verdict on one connection, with the answer
// that explains it.
type ReplayVerdict struct {
	Allowed   bool     `json:"allowed"`
	Decided   bool     `json:"decided"`
	DependsOn []string `json:"dependsOn,omitempty"`
	// Answer is "can"'s answer, for the trace; nil for a connection
	// nothing is said about (its verdict stands and the dataplane agrees).
	Answer *Answer `json:"-"`
}

// ReplayResult is the replay of observed connections.
type ReplayResult struct {
	TypeMeta
	SchemaVersion string `json:"schemaVersion"`
	WhatIf        bool   `json:"whatIf"`
	// Events is every connection counted, Distinct the distinct ones.
	Events   int `json:"connections"`
	Distinct int `json:"distinct"`
	// NewlyDenied and NewlyAllowed count distinct connections (what-if);
	// Disagreements those whose recorded verdict the model contradicts.
	NewlyDenied   int `json:"newlyDenied"`
	NewlyAllowed  int `json:"newlyAllowed"`
	Unplaced      int `json:"unplaced"`
	Undecided     int `json:"undecided"`
	Disagreements int `json:"disagreements"`
	// Connections are every distinct connection, changed ones (or
	// disagreements) first.
	Connections []ReplayedConnection `json:"items"`
	Profile     *Profile             `json:"profile,omitempty"`
	Warnings    []Warning            `json:"warnings,omitempty"`
	// Input is what the reader of the flow files counted (records, lost
	// events, records not starting a connection...), set by the caller.
	Input any `json:"input,omitempty"`
}

// Replay judges the observed connections on s and, when next is not nil,
// on next (the state after a change).
func (s *Snapshot) Replay(conns []ObservedConnection, next *Snapshot) (*ReplayResult, error) {
	res := &ReplayResult{TypeMeta: Document(KindReplayResult), SchemaVersion: SchemaVersion, WhatIf: next != nil, Distinct: len(conns)}
	p := s.opts.Profile
	if next != nil {
		p = next.opts.Profile
	}
	res.Profile = &p
	for _, c := range conns {
		rc := ReplayedConnection{From: c.Src.Key(), To: c.Dst.Key(), Protocol: string(c.Protocol), Port: c.Port,
			Count: c.Count, Recorded: c.ByVerdict, First: c.First, Last: c.Last, Where: c.Where}
		if !c.First.IsZero() {
			rc.FirstSeen, rc.LastSeen = c.First.UTC().Format(time.RFC3339), c.Last.UTC().Format(time.RFC3339)
		}
		res.Events += c.Count
		flow, from, to, why := s.placeConnection(c)
		if why != "" {
			rc.Unplaced = why
			res.Unplaced++
			res.Connections = append(res.Connections, rc)
			continue
		}
		rc.From, rc.To = from, to
		var err error
		if rc.Before, err = s.replayVerdict(flow); err != nil {
			return nil, err
		}
		if next != nil {
			if rc.After, err = next.replayVerdict(flow); err != nil {
				return nil, err
			}
			switch {
			case !rc.Before.Decided || !rc.After.Decided:
				if rc.Before.Decided != rc.After.Decided || rc.Before.Allowed != rc.After.Allowed {
					rc.Change = "undecided"
					res.Undecided++
				}
			case rc.Before.Allowed && !rc.After.Allowed:
				rc.Change = "newly denied"
				res.NewlyDenied++
			case !rc.Before.Allowed && rc.After.Allowed:
				rc.Change = "newly allowed"
				res.NewlyAllowed++
			}
		} else {
			switch v := rc.Before; {
			case !v.Decided:
				res.Undecided++
			case !v.Allowed && c.ByVerdict[RecordedForwarded] > 0:
				rc.Disagreement = "the dataplane forwarded it; the model denies it"
			case v.Allowed && c.ByVerdict[RecordedDenied] > 0:
				rc.Disagreement = "the dataplane dropped it by policy; the model allows it"
			}
			if rc.Disagreement != "" {
				res.Disagreements++
			}
		}
		rc.dropTraces()
		res.Connections = append(res.Connections, rc)
	}
	rank := func(rc *ReplayedConnection) int {
		switch {
		case rc.Change == "newly denied" || rc.Disagreement != "":
			return 0
		case rc.Change == "newly allowed":
			return 1
		case rc.Change == "undecided" || rc.Unplaced != "":
			return 2
		}
		return 3
	}
	slices.SortStableFunc(res.Connections, func(a, b ReplayedConnection) int { return rank(&a) - rank(&b) })
	return res, nil
}

// dropTraces lets go of the answers of a connection nothing will be said
// about (its verdict stands, decided, and the dataplane agrees): a day of
// flows has tens of thousands of distinct connections, and their traces
// are most of the memory a replay holds.
func (rc *ReplayedConnection) dropTraces() {
	if rc.Change != "" || rc.Disagreement != "" {
		return
	}
	for _, v := range []*ReplayVerdict{rc.Before, rc.After} {
		if v != nil && !v.Decided {
			return
		}
	}
	for _, v := range []*ReplayVerdict{rc.Before, rc.After} {
		if v != nil {
			v.Answer = nil
		}
	}
}

// Changed tells whether the replay found what a gate fails on: a
// connection that changes verdict (what-if), or one whose recorded
// verdict the model contradicts.
func (r *ReplayResult) Changed() bool {
	return r.NewlyDenied+r.NewlyAllowed+r.Disagreements > 0 || r.WhatIf && r.Undecided > 0
}

// replayVerdict is "can" on the flow, as the verdict of one connection.
func (s *Snapshot) replayVerdict(f Flow) (*ReplayVerdict, error) {
	a, err := s.Can(f, "default")
	if err != nil {
		return nil, err
	}
	return &ReplayVerdict{Allowed: a.Allowed, Decided: a.Decided, DependsOn: a.DependsOn, Answer: a}, nil
}

// placeConnection places both ends on the snapshot: the question "can"
// answers for the connection, the ends' names, or why an end could not be
// placed.
func (s *Snapshot) placeConnection(c ObservedConnection) (f Flow, from, to, why string) {
	src, from, why := s.placeEnd(c.Src)
	if why != "" {
		return f, "", "", "source " + c.Src.Key() + ": " + why
	}
	dst, to, why := s.placeEnd(c.Dst)
	if why != "" {
		return f, "", "", "destination " + c.Dst.Key() + ": " + why
	}
	dst.Port, dst.Protocol = strconv.Itoa(int(c.Port)), c.Protocol
	return Flow{Source: src, Destination: dst}, from, to, ""
}

// placeEnd finds an observed end in the snapshot: the pod by namespace and
// name; else a pod of its workload (pods come and go, the workload stays);
// else by address (a pod's, or an address outside the cluster); else by
// labels, when they name one workload of the namespace.
func (s *Snapshot) placeEnd(e ObservedEnd) (EndpointSpec, string, string) {
	pod := func(p *Pod) (EndpointSpec, string, string) {
		return EndpointSpec{Namespace: p.Namespace, Kind: "Pod", Name: p.Name, Raw: p.Key()}, s.unitName(p), ""
	}
	if e.Namespace != "" && e.Pod != "" {
		for _, p := range s.podsByNS[e.Namespace] {
			if p.Name == e.Pod {
				return pod(p)
			}
		}
	}
	if e.Namespace != "" && e.Workload != "" {
		kind, name, ok := strings.Cut(e.Workload, "/")
		if !ok {
			kind, name = "", e.Workload
		}
		for _, p := range s.podsByNS[e.Namespace] {
			if p.Workload != nil && p.Workload.Name == name && (kind == "" || strings.EqualFold(p.Workload.Kind, kind)) {
				return pod(p)
			}
		}
	}
	if e.IP.IsValid() {
		if pods := s.podsByIP[e.IP]; len(pods) > 0 {
			return pod(pods[0])
		}
		if e.Namespace == "" && e.Pod == "" {
			// Not a pod's: an address outside the cluster (or a node's).
			return EndpointSpec{Addr: e.IP, Raw: e.IP.String()}, e.IP.String(), ""
		}
	}
	if e.Namespace != "" && len(e.Labels) > 0 {
		sel := labels.SelectorFromSet(e.Labels)
		var units []string
		var first *Pod
		for _, p := range s.podsByNS[e.Namespace] {
			if sel.Matches(p.Labels) {
				if u := s.unitName(p); !slices.Contains(units, u) {
					units = append(units, u)
				}
				if first == nil {
					first = p
				}
			}
		}
		switch len(units) {
		case 1:
			return pod(first)
		case 0:
		default:
			return EndpointSpec{}, "", fmt.Sprintf("its labels match %d workloads (%s)", len(units), strings.Join(units, ", "))
		}
	}
	switch {
	case e.Namespace != "" || e.Pod != "":
		return EndpointSpec{}, "", fmt.Sprintf("no pod %s/%s, no workload %q and no pod with its labels or address in the snapshot", e.Namespace, e.Pod, e.Workload)
	case e.Reserved != "":
		return EndpointSpec{}, "", fmt.Sprintf("the record names Cilium's %s identity without an address", e.Reserved)
	}
	return EndpointSpec{}, "", "the record names neither a pod nor an address"
}

// unitName names the workload a pod belongs to, as answers name units.
func (s *Snapshot) unitName(p *Pod) string {
	if p.Workload != nil {
		return strings.ToLower(p.Workload.Kind) + " " + p.Namespace + "/" + p.Workload.Name
	}
	return "pod " + p.Key()
}
