package load

import (
	"net/netip"
	"strings"
)

// The checks below say, without the regular expressions of apimachinery's
// validation, that a name, label or port name is valid: the loader checks
// every label of every pod, and the regular expressions cost a tenth of
// the time of reading a 10,000-pod cluster. They implement the same rules
// (TestQuickChecksAgreeWithAPIMachinery holds them to it); what they
// refuse goes to apimachinery, which decides again and words the error.

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z'
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// quickLabelName is IsQualifiedName's name part (labelKeyFmt): 1 to 63 of
// [-A-Za-z0-9_.], alphanumeric at both ends.
func quickLabelName(s string) bool {
	if len(s) == 0 || len(s) > 63 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// quickLabelKey is IsQualifiedName: a name part with an optional DNS
// subdomain prefix and "/".
func quickLabelKey(s string) bool {
	prefix, name, ok := strings.Cut(s, "/")
	if !ok {
		return quickLabelName(s)
	}
	return quickDNS1123Subdomain(prefix) && quickLabelName(name)
}

// quickLabelValue is IsValidLabelValue: empty, or a label name part.
func quickLabelValue(s string) bool { return s == "" || quickLabelName(s) }

// quickDNS1123Label is IsDNS1123Label: 1 to 63 of [-a-z0-9], alphanumeric
// at both ends.
func quickDNS1123Label(s string) bool {
	if len(s) == 0 || len(s) > 63 || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// quickDNS1123Subdomain is IsDNS1123Subdomain: at most 253 characters of
// dot-separated parts, each [-a-z0-9]+ alphanumeric at both ends (of any
// length: the regular expression sets no limit per part).
func quickDNS1123Subdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if c := s[i]; !isLowerAlnum(c) && c != '-' {
				return false
			}
			continue
		}
		if i == start || s[start] == '-' || s[i-1] == '-' {
			return false
		}
		start = i + 1
	}
	return true
}

// quickPortName is IsValidPortName (IANA_SVC_NAME): 1 to 15 of [-a-z0-9]
// with a letter, no "--", no "-" at either end.
func quickPortName(s string) bool {
	if len(s) == 0 || len(s) > 15 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
			letter = true
		case '0' <= c && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return letter
}

// quickIP is IsValidIPForLegacyField with strict validation: what
// netip.ParseAddr takes (no leading zeros), with no zone and no IPv4-mapped
// IPv6 address.
func quickIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == "" && !a.Is4In6()
}
