package load

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validate checks an object as the API server checks it on create, on the
// fields a verdict can depend on: names, namespaces and labels; the ports
// of pods, pod templates and services; pod IPs. Manifests need not have
// been through an API server, and what one would reject must not quietly
// become a verdict: a container port 70000 or a protocol "udp" no rule
// matches, an IPv6 zone no CIDR contains. NetworkPolicies and cluster
// policies are checked further by the compilers of query. It returns the
// warnings the API server would give and the first error, worded as the
// API server words it.
func validate(obj runtime.Object) ([]string, error) {
	var v validator
	switch o := obj.(type) {
	case *corev1.Node:
		v.nodeAddresses(o.Status.Addresses)
	case *corev1.Pod:
		v.podIPs(&o.Status)
	}
	if len(v.errs) > 0 {
		return nil, v.errs[0]
	}
	return v.warnings, nil
}

var statusPath = field.NewPath("status")

// validator collects what validate finds, in field order.
type validator struct {
	errs     field.ErrorList
	warnings []string
}

// podIPs checks status.podIP and status.podIPs as the API server does with
// strict IP validation (the StrictIPCIDRValidation gate, on since 1.36): no
// IPv4-mapped IPv6 addresses, no leading zeros, and podIPs[0] equal to
// podIP. An IPv6 zone gets its own message.
func (v *validator) podIPs(st *corev1.PodStatus) {
	if st.PodIP != "" {
		v.ip(statusPath.Child("podIP"), st.PodIP)
	}
	for i, ip := range st.PodIPs {
		v.ip(statusPath.Child("podIPs").Index(i), ip.IP)
	}
	if st.PodIP != "" && len(st.PodIPs) > 0 && st.PodIPs[0].IP != st.PodIP {
		v.errs = append(v.errs, field.Invalid(statusPath.Child("podIPs").Index(0).Child("ip"), st.PodIPs[0].IP, "must be equal to `podIP`"))
	}
}

func (v *validator) ip(path *field.Path, s string) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() != "" {
		v.errs = append(v.errs, field.Invalid(path, s, "IPv6 zones are not allowed"))
		return
	}
	v.errs = append(v.errs, validation.IsValidIPForLegacyField(path, s, true, nil)...)
}

// nodeAddresses checks the addresses cluster policies match nodes by. The
// API server does not check their form; query refuses what is no IP, and
// an IPv6 zone is refused here to name the file.
func (v *validator) nodeAddresses(addrs []corev1.NodeAddress) {
	for i, a := range addrs {
		if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Zone() != "" {
			v.errs = append(v.errs, field.Invalid(statusPath.Child("addresses").Index(i).Child("address"), a.Address, "IPv6 zones are not allowed"))
		}
	}
}
