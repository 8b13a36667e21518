package query

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// EndpointSpec is one side of a question as the user wrote it, parsed but
// not yet resolved against a snapshot. Exactly one of Name, Selector, Addr
// and CIDR is set.
type EndpointSpec struct {
	Raw       string
	Namespace string // empty: the default namespace
	// Kind is the workload kind, "Pod" or "Service" when the user named one.
	Kind     string
	Name     string
	Selector labels.Selector
	Addr     netip.Addr
	CIDR     netip.Prefix
	// Port is a number or a container/service port name; empty for all.
	Port string
	// Protocol is the asked protocol; empty means TCP when Port is set.
	Protocol corev1.Protocol
}

// Flow is a parsed question: from Source to Destination.
type Flow struct {
	Source      EndpointSpec
	Destination EndpointSpec
}

// ErrShellArrow is returned for a lone "-" argument: the shell took ">" of
// an unquoted "->" as a redirection.
var ErrShellArrow = fmt.Errorf(`a lone "-" argument: the shell read the ">" of an unquoted "->" as a redirection (and may have created a file named after the destination); quote the arrow ('web -> db:3306') or leave it out (web db:3306)`)

// ParseFlow parses the arguments of "can": "SRC DST", "SRC to DST",
// "SRC -> DST", or one argument "SRC -> DST".
func ParseFlow(args []string) (Flow, error) {
	var words []string
	for _, a := range args {
		if a == "-" {
			return Flow{}, ErrShellArrow
		}
		if strings.Contains(a, "->") {
			for i, part := range strings.Split(a, "->") {
				if i > 0 {
					words = append(words, "->")
				}
				if p := strings.TrimSpace(part); p != "" {
					words = append(words, strings.Fields(p)...)
				}
			}
			continue
		}
		words = append(words, a)
	}
	switch {
	case len(words) == 3 && (words[1] == "->" || words[1] == "to"):
		words = []string{words[0], words[2]}
	case len(words) == 2:
	default:
		return Flow{}, fmt.Errorf("want a source and a destination (SRC DST[:PORT][/PROTO], 'SRC -> DST' or SRC to DST), got %q", strings.Join(args, " "))
	}
	src, err := ParseEndpoint(words[0])
	if err != nil {
		return Flow{}, fmt.Errorf("source: %w", err)
	}
	if src.Port != "" {
		return Flow{}, fmt.Errorf("source %q: a source takes no port (policies judge the destination port)", words[0])
	}
	dst, err := ParseEndpoint(words[1])
	if err != nil {
		return Flow{}, fmt.Errorf("destination: %w", err)
	}
	return Flow{Source: src, Destination: dst}, nil
}

var (
	protoSuffix    = regexp.MustCompile(`(?i)/(tcp|udp|sctp)$`)
	badProtoSuffix = regexp.MustCompile(`:[^:/]+/([^/0-9][^/]*)$`)
)

// ParseEndpoint parses one endpoint: NAME, NS/NAME, KIND/NAME, NS/KIND/NAME,
// a label selector (role=api, prod/role=api,tier!=x), an IP ([v6] with a
// port) or a CIDR, each optionally followed by :PORT and /tcp|/udp|/sctp.
func ParseEndpoint(raw string) (EndpointSpec, error) {
	e := EndpointSpec{Raw: raw}
	s := strings.TrimSpace(raw)
	if s == "" {
		return e, fmt.Errorf("empty endpoint")
	}
	if m := protoSuffix.FindStringSubmatchIndex(s); m != nil && strings.Contains(s[:m[0]], ":") {
		e.Protocol = corev1.Protocol(strings.ToUpper(s[m[2]:m[3]]))
		s = s[:m[0]]
	} else if m := badProtoSuffix.FindStringSubmatch(s); m != nil {
		return e, fmt.Errorf("%q: unknown protocol %q (tcp, udp or sctp)", raw, m[1])
	}
	if ok, err := e.parseAddress(s); ok || err != nil {
		return e, err
	}
	if i := strings.LastIndex(s, ":"); i >= 0 {
		e.Port = s[i+1:]
		s = s[:i]
		if err := checkPort(e.Port); err != nil {
			return e, fmt.Errorf("%q: %w", raw, err)
		}
	}
	if e.Protocol != "" && e.Port == "" {
		return e, fmt.Errorf("%q: a protocol needs a port (NAME:PORT/%s)", raw, strings.ToLower(string(e.Protocol)))
	}
	if isSelector(s) {
		return e, e.parseSelector(raw, s)
	}
	parts := strings.Split(s, "/")
	switch {
	case len(parts) == 1:
		e.Name = parts[0]
	case len(parts) == 2 && kindOf(parts[0]) != "":
		e.Kind, e.Name = kindOf(parts[0]), parts[1]
	case len(parts) == 2:
		e.Namespace, e.Name = parts[0], parts[1]
	case len(parts) == 3 && kindOf(parts[1]) != "":
		e.Namespace, e.Kind, e.Name = parts[0], kindOf(parts[1]), parts[2]
	case len(parts) == 3:
		return e, fmt.Errorf("%q: unknown kind %q (pod, deployment, statefulset, daemonset, replicaset, job, cronjob, replicationcontroller, service)", raw, parts[1])
	default:
		return e, fmt.Errorf("%q: too many '/' (want NAME, NS/NAME, KIND/NAME or NS/KIND/NAME)", raw)
	}
	if e.Namespace != "" {
		if errs := validation.IsDNS1123Label(e.Namespace); len(errs) > 0 {
			return e, fmt.Errorf("%q: invalid namespace %q", raw, e.Namespace)
		}
	}
	if e.Name == "" {
		return e, fmt.Errorf("%q: empty name", raw)
	}
	if errs := validation.IsDNS1123Subdomain(e.Name); len(errs) > 0 {
		return e, fmt.Errorf("%q: invalid name %q: %s", raw, e.Name, errs[0])
	}
	return e, nil
}

// parseAddress recognises an IP or CIDR, with an optional port.
func (e *EndpointSpec) parseAddress(s string) (bool, error) {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return true, fmt.Errorf("%q: missing ']' after IPv6 address", e.Raw)
		}
		host, port = s[1:end], strings.TrimPrefix(s[end+1:], ":")
		if rest := s[end+1:]; rest != "" && !strings.HasPrefix(rest, ":") {
			return true, fmt.Errorf("%q: want [IPv6]:PORT", e.Raw)
		}
	} else if _, err := netip.ParseAddr(s); err != nil && strings.Count(s, ":") == 1 {
		host, port = s[:strings.Index(s, ":")], s[strings.Index(s, ":")+1:]
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return true, errZone(host)
		}
		e.Addr = a.Unmap()
	} else if p, err := netip.ParsePrefix(host); err == nil {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			// Like a mapped address, a mapped range is the IPv4 range.
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		e.CIDR = p.Masked()
	} else if a, _, ok := strings.Cut(host, "/"); ok && isZoned(a) {
		return true, errZone(host)
	} else if strings.HasPrefix(s, "[") || looksNumeric(host) {
		return true, fmt.Errorf("%q: invalid IP address or CIDR %q", e.Raw, host)
	} else {
		return false, nil
	}
	if port != "" {
		if err := checkPort(port); err != nil {
			return true, fmt.Errorf("%q: %w", e.Raw, err)
		}
		if _, err := strconv.Atoi(port); err != nil {
			return true, fmt.Errorf("%q: an address outside the cluster takes a port number, not a name", e.Raw)
		}
		e.Port = port
	}
	if e.Protocol != "" && e.Port == "" {
		return true, fmt.Errorf("%q: a protocol needs a port (ADDRESS:PORT/%s)", e.Raw, strings.ToLower(string(e.Protocol)))
	}
	return true, nil
}

// parseIP parses an IP address field of an object, an IPv4-mapped IPv6
// address as the IPv4 address. An IPv6 zone ("fe80::1%eth0") names a link
// of one host, and no CIDR contains a zoned address: taken, it would slip
// past every ipBlock and networks peer, Deny rules included.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("invalid IP %q", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, errZone(s)
	}
	return a.Unmap(), nil
}

// isZoned reports whether s is an IPv6 address with a zone.
func isZoned(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() != ""
}

func errZone(addr string) error {
	return fmt.Errorf("address %s: IPv6 zones are not allowed", addr)
}

var numericHost = regexp.MustCompile(`^[0-9.]+(/[0-9]+)?$|^[0-9a-fA-F:]*::[0-9a-fA-F:.]*(/[0-9]+)?$`)

// looksNumeric is true for strings that can only have meant an address.
func looksNumeric(s string) bool { return numericHost.MatchString(s) }

// checkPort accepts a port number 1-65535 or a valid port name.
func checkPort(p string) error {
	if p == "" {
		return fmt.Errorf("empty port after ':'")
	}
	if n, err := strconv.Atoi(p); err == nil {
		if n < minPort || n > maxPort {
			return fmt.Errorf("port %d is not between 1 and 65535", n)
		}
		return nil
	}
	if errs := validation.IsValidPortName(p); len(errs) > 0 {
		return fmt.Errorf("invalid port %q: not a number 1-65535 nor a port name (%s)", p, errs[0])
	}
	return nil
}

// isSelector is true when s is written as a label selector.
func isSelector(s string) bool {
	return strings.ContainsAny(s, "=!(") || strings.Contains(s, " in ") || strings.Contains(s, " notin ")
}

func (e *EndpointSpec) parseSelector(raw, s string) error {
	// "prod/role=api": a namespace prefix, unless the part before the first
	// "/" is a label key prefix (it has a dot; namespace names have none).
	if i := strings.Index(s, "/"); i >= 0 && !strings.ContainsAny(s[:i], ".=!( ") {
		e.Namespace, s = s[:i], s[i+1:]
	}
	sel, err := labels.Parse(s)
	if err != nil {
		return fmt.Errorf("%q: invalid label selector: %w", raw, err)
	}
	e.Selector = sel
	return nil
}

func kindOf(s string) string {
	switch strings.ToLower(s) {
	case "pod", "pods", "po":
		return "Pod"
	case "service", "services", "svc":
		return "Service"
	}
	return workloadKinds[strings.ToLower(s)]
}
