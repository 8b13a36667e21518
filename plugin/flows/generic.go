package flows

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// The generic format (README.md): one connection a row, CSV with a header
// row or JSON lines, for flow logs of other dataplanes and for scripts.

// genericRow is a row's fields as written.
type genericRow struct {
	time, src, dst, port, protocol, verdict, count string
	srcLabels, dstLabels                           map[string]string
	labelsErr                                      string
}

// genericColumns are the generic format's fields: CSV header names and
// JSON member names.
var genericColumns = []string{"time", "src", "dst", "port", "protocol", "verdict", "count", "src_labels", "dst_labels"}

func (a *aggregator) genericCSV(name string, r io.Reader, firstLine int) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &BadRecordError{Where: name + ":" + strconv.Itoa(firstLine-1+pe.Line), Why: "invalid CSV header: " + pe.Err.Error()}
		}
		return fmt.Errorf("read %s: %w", name, err)
	}
	headerLine, _ := cr.FieldPos(0)
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := cols[h]; !dup {
			cols[h] = i
		}
	}
	for _, need := range []string{"src", "dst", "port"} {
		if _, ok := cols[need]; !ok {
			return &BadRecordError{
				Where: name + ":" + strconv.Itoa(firstLine-1+headerLine),
				Why:   "not a Hubble JSON record, nor a generic CSV header (with columns src, dst and port; " + need + " is missing)",
			}
		}
	}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			a.stats.Records++
			if err := a.bad(name, firstLine-1+pe.StartLine, "invalid CSV: "+pe.Err.Error()); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		l, _ := cr.FieldPos(0)
		line := firstLine - 1 + l
		a.stats.Records++
		if len(row) != len(header) {
			if err := a.bad(name, line, fmt.Sprintf("%d fields, the header has %d", len(row), len(header))); err != nil {
				return err
			}
			continue
		}
		get := func(col string) string {
			if i, ok := cols[col]; ok {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		g := genericRow{
			time: get("time"), src: get("src"), dst: get("dst"), port: get("port"),
			protocol: get("protocol"), verdict: get("verdict"), count: get("count"),
		}
		var why string
		if g.srcLabels, why = parseLabels(get("src_labels")); why != "" {
			g.labelsErr = "src_labels: " + why
		} else if g.dstLabels, why = parseLabels(get("dst_labels")); why != "" {
			g.labelsErr = "dst_labels: " + why
		}
		if err := a.genericRecord(g, name, line); err != nil {
			return err
		}
	}
}

func (a *aggregator) genericJSON(name string, r io.Reader, firstLine int) error {
	br := bufio.NewReader(r)
	for line := firstLine; ; line++ {
		l, err := br.ReadBytes('\n')
		if len(l) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if blank(bytes.TrimSuffix(l, []byte{'\n'})) {
			continue
		}
		a.stats.Records++
		g, why := decodeGenericJSON(l)
		if why != "" {
			if err == io.EOF && !json.Valid(l) {
				why = "truncated record: the input ends inside it"
			}
			if err := a.bad(name, line, why); err != nil {
				return err
			}
			continue
		}
		if err := a.genericRecord(g, name, line); err != nil {
			return err
		}
	}
}

// decodeGenericJSON decodes a JSON line of the generic format: port and
// count may be numbers or strings, labels an object or a string.
func decodeGenericJSON(l []byte) (genericRow, string) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(l, &raw); err != nil {
		return genericRow{}, "invalid JSON: " + err.Error()
	}
	var g genericRow
	fields := map[string]*string{
		"time": &g.time, "src": &g.src, "dst": &g.dst, "port": &g.port,
		"protocol": &g.protocol, "verdict": &g.verdict, "count": &g.count,
	}
	for k, v := range raw {
		if p, ok := fields[k]; ok {
			s, why := scalar(v)
			if why != "" {
				return g, k + ": " + why
			}
			*p = strings.TrimSpace(s)
			continue
		}
		var target *map[string]string
		switch k {
		case "src_labels":
			target = &g.srcLabels
		case "dst_labels":
			target = &g.dstLabels
		default:
			continue // unknown members are ignored
		}
		if bytes.HasPrefix(bytes.TrimSpace(v), []byte{'{'}) {
			if err := json.Unmarshal(v, target); err != nil {
				return g, k + ": " + err.Error()
			}
			continue
		}
		s, why := scalar(v)
		if why == "" {
			*target, why = parseLabels(s)
		}
		if why != "" {
			return g, k + ": " + why
		}
	}
	return g, ""
}

// scalar is a JSON string, number or null as text.
func scalar(v json.RawMessage) (string, string) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) > 0 && v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err.Error()
		}
		return s, ""
	case string(v) == "null":
		return "", ""
	case len(v) > 0 && (v[0] == '-' || '0' <= v[0] && v[0] <= '9'):
		return string(v), ""
	}
	return "", "not a string or number: " + string(v)
}

// parseLabels parses "k=v,k2=v2", as kubectl's -l writes equality.
func parseLabels(s string) (map[string]string, string) {
	if s == "" {
		return nil, ""
	}
	set, err := labels.ConvertSelectorToLabelsMap(s)
	if err != nil {
		return nil, err.Error()
	}
	return set, ""
}

// genericRecord counts one generic row.
func (a *aggregator) genericRecord(g genericRow, name string, line int) error {
	bad := func(why string) error { return a.bad(name, line, why) }
	if g.labelsErr != "" {
		return bad(g.labelsErr)
	}
	src, why := parseEnd(g.src)
	if why != "" {
		return bad("src: " + why)
	}
	dst, why := parseEnd(g.dst)
	if why != "" {
		return bad("dst: " + why)
	}
	src.Labels, dst.Labels = g.srcLabels, g.dstLabels
	proto, ok := genericProtocols[strings.ToUpper(g.protocol)]
	if !ok {
		return bad("unknown protocol " + strconv.Quote(g.protocol) + " (TCP, UDP, SCTP, ICMP or their numbers)")
	}
	count := 1
	if g.count != "" {
		n, err := strconv.Atoi(g.count)
		if err != nil || n < 1 {
			return bad("invalid count " + strconv.Quote(g.count) + " (a whole number, at least 1)")
		}
		count = n
	}
	t := int64(noTime)
	if g.time != "" {
		tt, err := time.Parse(time.RFC3339Nano, g.time)
		if err != nil {
			return bad("invalid time " + strconv.Quote(g.time) + " (RFC 3339, e.g. 2025-03-03T09:00:00Z)")
		}
		t = tt.UnixNano()
	}
	v, ok := genericVerdicts[strings.ToLower(g.verdict)]
	if !ok {
		return bad("unknown verdict " + strconv.Quote(g.verdict) + " (allowed, denied, dropped, or empty)")
	}
	if proto == l4Other {
		a.stats.Flows++
		a.stats.Unjudged++
		return nil
	}
	port, err := strconv.Atoi(g.port)
	switch {
	case g.port == "":
		return bad("no port")
	case err != nil || port < 1 || port > 65535:
		return bad("invalid port " + strconv.Quote(g.port) + " (1-65535)")
	}
	a.generic(src, dst, proto, int32(port), v, count, t, name, line)
	return nil
}

var genericProtocols = map[string]l4{
	"": l4TCP, "TCP": l4TCP, "6": l4TCP,
	"UDP": l4UDP, "17": l4UDP,
	"SCTP": l4SCTP, "132": l4SCTP,
	"ICMP": l4Other, "1": l4Other, "ICMPV6": l4Other, "58": l4Other,
}

var genericVerdicts = map[string]verdict{
	"":        vNone,
	"allowed": vForwarded, "allow": vForwarded, "forwarded": vForwarded, "accept": vForwarded,
	"denied": vDenied, "deny": vDenied,
	"dropped": vDropped, "drop": vDropped, "reject": vDropped,
}

// workloadKinds are the kinds a generic end may name, by their names and
// kubectl's short names, lower case.
var workloadKinds = map[string]string{
	"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
	"statefulset": "StatefulSet", "statefulsets": "StatefulSet", "sts": "StatefulSet",
	"daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
	"replicaset": "ReplicaSet", "replicasets": "ReplicaSet", "rs": "ReplicaSet",
	"job": "Job", "jobs": "Job",
	"cronjob": "CronJob", "cronjobs": "CronJob", "cj": "CronJob",
	"replicationcontroller": "ReplicationController", "rc": "ReplicationController",
}

// reservedEnds are the ends outside the pods a generic end may name as
// reserved:NAME.
var reservedEnds = map[string]bool{"world": true, "host": true, "remote-node": true, "kube-apiserver": true, "health": true, "ingress": true}

// parseEnd parses a generic end: an IP address, ns/pod, ns/pod/NAME,
// ns/KIND/name for a workload, or reserved:NAME.
func parseEnd(s string) (query.ObservedEnd, string) {
	if s == "" {
		return query.ObservedEnd{}, "empty"
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return query.ObservedEnd{IP: ip.Unmap()}, ""
	}
	if name, ok := strings.CutPrefix(s, "reserved:"); ok {
		if !reservedEnds[name] {
			return query.ObservedEnd{}, "unknown reserved end " + strconv.Quote(s) + " (reserved:world, host, remote-node, kube-apiserver, health or ingress)"
		}
		return query.ObservedEnd{Reserved: name}, ""
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return query.ObservedEnd{}, strconv.Quote(s) + " is not an IP address, ns/pod, ns/KIND/name or reserved:NAME"
	}
	ns, name := parts[0], parts[len(parts)-1]
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return query.ObservedEnd{}, "namespace " + strconv.Quote(ns) + ": " + errs[0]
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return query.ObservedEnd{}, "name " + strconv.Quote(name) + ": " + errs[0]
	}
	if len(parts) == 2 {
		return query.ObservedEnd{Namespace: ns, Pod: name}, ""
	}
	kind := parts[1]
	if strings.EqualFold(kind, "pod") || strings.EqualFold(kind, "pods") || kind == "po" {
		return query.ObservedEnd{Namespace: ns, Pod: name}, ""
	}
	if k, ok := workloadKinds[strings.ToLower(kind)]; ok {
		kind = k
	} else if !validKind(kind) {
		return query.ObservedEnd{}, "kind " + strconv.Quote(kind) + " is not a kind (Deployment, deploy, StatefulSet, sts, DaemonSet, ds, Job, CronJob...)"
	}
	return query.ObservedEnd{Namespace: ns, Workload: kind + "/" + name}, ""
}

// validKind reports whether s is written as a kind is: an upper-case
// letter, then letters and digits (Rollout, DeploymentConfig).
func validKind(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
