package plugin

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// parsePortFlag parses the value of a --port flag: a port number,
// optionally followed by /tcp, /udp or /sctp (TCP when left out). Errors
// name the flag and the value as the user wrote them.
func parsePortFlag(value string) (corev1.Protocol, int32, error) {
	number, proto, hasProto := strings.Cut(value, "/")
	protocol := corev1.ProtocolTCP
	if hasProto {
		switch p := corev1.Protocol(strings.ToUpper(proto)); p {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
			protocol = p
		default:
			return "", 0, fmt.Errorf("--port %s: unknown protocol %q (tcp, udp or sctp)", value, proto)
		}
	}
	n, err := strconv.Atoi(number)
	if err != nil {
		return "", 0, fmt.Errorf("--port %s: want a port number, e.g. 5432 or 53/udp", value)
	}
	if n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("--port %s: port must be between 1 and 65535", value)
	}
	return protocol, int32(n), nil
}
