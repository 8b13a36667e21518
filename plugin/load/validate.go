package load

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
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
	case *corev1.Namespace:
		v.meta(&o.ObjectMeta, namespaceName)
	case *corev1.Node:
		v.meta(&o.ObjectMeta, subdomainName)
		v.nodeAddresses(o.Status.Addresses)
	case *corev1.ConfigMap:
		v.meta(&o.ObjectMeta, subdomainName)
	case *corev1.Pod:
		v.meta(&o.ObjectMeta, subdomainName)
		v.podSpec(&o.Spec, specPath)
		v.podIPs(&o.Status)
	case *corev1.Service:
		v.meta(&o.ObjectMeta, serviceName)
		v.service(&o.Spec)
	case *corev1.ReplicationController:
		v.meta(&o.ObjectMeta, subdomainName)
		if o.Spec.Template != nil {
			v.template(o.Spec.Template, podTemplate)
		}
	case *appsv1.Deployment:
		v.meta(&o.ObjectMeta, subdomainName)
		v.template(&o.Spec.Template, podTemplate)
	case *appsv1.StatefulSet:
		v.meta(&o.ObjectMeta, subdomainName)
		v.template(&o.Spec.Template, podTemplate)
	case *appsv1.DaemonSet:
		v.meta(&o.ObjectMeta, subdomainName)
		v.template(&o.Spec.Template, podTemplate)
	case *appsv1.ReplicaSet:
		v.meta(&o.ObjectMeta, subdomainName)
		v.template(&o.Spec.Template, podTemplate)
	case *batchv1.Job:
		v.meta(&o.ObjectMeta, subdomainName)
		v.template(&o.Spec.Template, podTemplate)
	case *batchv1.CronJob:
		v.meta(&o.ObjectMeta, subdomainName)
		v.template(&o.Spec.JobTemplate.Spec.Template, jobTemplate)
	default:
		// NetworkPolicies and the policy.networking.k8s.io kinds.
		if m, ok := obj.(metav1.ObjectMetaAccessor); ok {
			v.meta(m.GetObjectMeta().(*metav1.ObjectMeta), subdomainName)
		}
	}
	if len(v.errs) > 0 {
		return nil, v.errs[0]
	}
	return v.warnings, nil
}

var (
	metadataPath        = field.NewPath("metadata")
	metadataLabelsPath  = metadataPath.Child("labels")
	specPath            = field.NewPath("spec")
	statusPath          = field.NewPath("status")
	serviceSelectorPath = specPath.Child("selector")
	podTemplate         = newTemplatePaths(specPath.Child("template"))
	jobTemplate         = newTemplatePaths(specPath.Child("jobTemplate", "spec", "template"))
)

// templatePaths are the paths of a pod template's labels and spec.
type templatePaths struct{ labels, spec *field.Path }

func newTemplatePaths(p *field.Path) templatePaths {
	return templatePaths{p.Child("metadata", "labels"), p.Child("spec")}
}

// validator collects what validate finds, in field order.
type validator struct {
	errs     field.ErrorList
	warnings []string
}

// nameRule is how a kind's names are checked: quick, when set, says a
// name is valid without apimachinery's rule.
type nameRule struct {
	check apivalidation.ValidateNameFunc
	quick func(string) bool
}

var (
	subdomainName = nameRule{apivalidation.NameIsDNSSubdomain, quickDNS1123Subdomain}
	namespaceName = nameRule{apivalidation.ValidateNamespaceName, quickDNS1123Label}
	serviceName   = nameRule{apivalidation.NameIsDNS1035Label, nil}
)

// meta checks metadata.name with the kind's rule, metadata.namespace (the
// default namespace fills it in when the manifest names none) and labels.
func (v *validator) meta(m *metav1.ObjectMeta, rule nameRule) {
	if rule.quick == nil || !rule.quick(m.Name) {
		for _, msg := range rule.check(m.Name, false) {
			v.errs = append(v.errs, field.Invalid(metadataPath.Child("name"), m.Name, msg))
		}
	}
	if m.Namespace != "" && !quickDNS1123Label(m.Namespace) {
		for _, msg := range apivalidation.ValidateNamespaceName(m.Namespace, false) {
			v.errs = append(v.errs, field.Invalid(metadataPath.Child("namespace"), m.Namespace, msg))
		}
	}
	v.labels(m.Labels, metadataLabelsPath)
}

// labels checks label keys and values with apimachinery's ValidateLabels,
// and keeps the error of the first bad key so that the message does not
// depend on map order.
func (v *validator) labels(lbls map[string]string, path *field.Path) {
	quick := true
	for k, val := range lbls {
		if !quickLabelKey(k) || !quickLabelValue(val) {
			quick = false
			break
		}
	}
	if quick {
		return
	}
	keys := make([]string, 0, len(lbls))
	for k := range lbls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if errs := metavalidation.ValidateLabels(map[string]string{k: lbls[k]}, path); len(errs) > 0 {
			v.errs = append(v.errs, errs[0])
			return
		}
	}
}

// template checks a workload's pod template: its labels, which stand-in
// pods carry, and its pod spec.
func (v *validator) template(t *corev1.PodTemplateSpec, paths templatePaths) {
	v.labels(t.Labels, paths.labels)
	v.podSpec(&t.Spec, paths.spec)
}

// podIPs checks status.podIP and status.podIPs as the API server does with
// strict IP validation (the StrictIPCIDRValidation gate, on since 1.36): no
// IPv4-mapped IPv6 addresses, no leading zeros, and podIPs[0] equal to
// podIP. An IPv6 zone gets its own message.
func (v *validator) podIPs(st *corev1.PodStatus) {
	if st.PodIP != "" && !quickIP(st.PodIP) {
		v.ip(statusPath.Child("podIP"), st.PodIP)
	}
	for i, ip := range st.PodIPs {
		if !quickIP(ip.IP) {
			v.ip(statusPath.Child("podIPs").Index(i), ip.IP)
		}
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

// protocols are the protocols of container and service ports, as the API
// server lists them in its error; an empty protocol is defaulted to TCP.
var protocols = []string{string(corev1.ProtocolSCTP), string(corev1.ProtocolTCP), string(corev1.ProtocolUDP)}

// portNameErrors is IsValidPortName, without its regular expressions for
// a valid name.
func portNameErrors(s string) []string {
	if quickPortName(s) {
		return nil
	}
	return validation.IsValidPortName(s)
}

func validProtocol(p corev1.Protocol) bool {
	return p == "" || p == corev1.ProtocolTCP || p == corev1.ProtocolUDP || p == corev1.ProtocolSCTP
}

// portName is a named container port seen in a pod spec.
type portName struct {
	name, list string
	container  int
	port       int
}

func (p portName) path(spec *field.Path) *field.Path {
	return spec.Child(p.list).Index(p.container).Child("ports").Index(p.port)
}

// podSpec checks the container ports of a pod spec as the API server does,
// container by container: names are IANA service names, unique in the
// container; containerPort and a set hostPort are 1-65535; the protocol is
// TCP, UDP or SCTP, in capitals. The API server takes a name that two
// containers share, with a warning: so does this, saying what it does to
// services (which, like the EndpointSlice controller, take the first port
// of containers, then of sidecars) and to policy rules naming it.
func (v *validator) podSpec(spec *corev1.PodSpec, path *field.Path) {
	var buf [8]portName
	names := buf[:0]
	for _, list := range [...]struct {
		field string
		cs    []corev1.Container
	}{{"containers", spec.Containers}, {"initContainers", spec.InitContainers}} {
		for ci := range list.cs {
			c := &list.cs[ci]
			served := list.field == "containers" || c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
			for pi := range c.Ports {
				p := &c.Ports[pi]
				at := portName{name: p.Name, list: list.field, container: ci, port: pi}
				switch {
				case p.Name == "":
				case len(portNameErrors(p.Name)) > 0:
					v.errs = append(v.errs, field.Invalid(at.path(path).Child("name"), p.Name, portNameErrors(p.Name)[0]))
				case slices.ContainsFunc(c.Ports[:pi], func(o corev1.ContainerPort) bool { return o.Name == p.Name }):
					v.errs = append(v.errs, field.Duplicate(at.path(path).Child("name"), p.Name))
				case served:
					if i := slices.IndexFunc(names, func(n portName) bool { return n.name == p.Name }); i < 0 {
						names = append(names, at)
					} else {
						first := names[i].path(path)
						v.warnings = append(v.warnings, fmt.Sprintf("%s: duplicate port name %q with %s: services sending to the name use %s, policy rules naming it open both ports",
							at.path(path), p.Name, first, first))
					}
				}
				if p.ContainerPort == 0 {
					v.errs = append(v.errs, field.Required(at.path(path).Child("containerPort"), ""))
				} else if msgs := validation.IsValidPortNum(int(p.ContainerPort)); len(msgs) > 0 {
					v.errs = append(v.errs, field.Invalid(at.path(path).Child("containerPort"), p.ContainerPort, msgs[0]))
				}
				if p.HostPort != 0 {
					if msgs := validation.IsValidPortNum(int(p.HostPort)); len(msgs) > 0 {
						v.errs = append(v.errs, field.Invalid(at.path(path).Child("hostPort"), p.HostPort, msgs[0]))
					}
				}
				if !validProtocol(p.Protocol) {
					v.errs = append(v.errs, field.NotSupported(at.path(path).Child("protocol"), p.Protocol, protocols))
				}
			}
		}
	}
}

// service checks a Service's type, ports and selector as the API server
// does after defaulting (protocol TCP, targetPort the port, type
// ClusterIP): port names are DNS labels, required when there are several
// ports and unique; port is 1-65535; targetPort a port number or an IANA
// service name; a nodePort 1-65535 and not on a ClusterIP service; no two
// ports with the same port and protocol.
func (v *validator) service(spec *corev1.ServiceSpec) {
	switch spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName:
	default:
		v.errs = append(v.errs, field.NotSupported(specPath.Child("type"), spec.Type,
			[]string{string(corev1.ServiceTypeClusterIP), string(corev1.ServiceTypeExternalName), string(corev1.ServiceTypeLoadBalancer), string(corev1.ServiceTypeNodePort)}))
	}
	for i := range spec.Ports {
		sp := &spec.Ports[i]
		switch {
		case sp.Name == "" && len(spec.Ports) > 1:
			v.errs = append(v.errs, field.Required(servicePortPath(i).Child("name"), ""))
		case sp.Name != "":
			if !quickDNS1123Label(sp.Name) {
				for _, msg := range validation.IsDNS1123Label(sp.Name) {
					v.errs = append(v.errs, field.Invalid(servicePortPath(i).Child("name"), sp.Name, msg))
				}
			}
			if slices.ContainsFunc(spec.Ports[:i], func(o corev1.ServicePort) bool { return o.Name == sp.Name }) {
				v.errs = append(v.errs, field.Duplicate(servicePortPath(i).Child("name"), sp.Name))
			}
		}
		for _, msg := range validation.IsValidPortNum(int(sp.Port)) {
			v.errs = append(v.errs, field.Invalid(servicePortPath(i).Child("port"), sp.Port, msg))
		}
		if !validProtocol(sp.Protocol) {
			v.errs = append(v.errs, field.NotSupported(servicePortPath(i).Child("protocol"), sp.Protocol, protocols))
		}
		switch t := sp.TargetPort; {
		case t.Type == intstr.Int && t.IntVal != 0:
			for _, msg := range validation.IsValidPortNum(int(t.IntVal)) {
				v.errs = append(v.errs, field.Invalid(servicePortPath(i).Child("targetPort"), t.IntVal, msg))
			}
		case t.Type == intstr.String && t.StrVal != "":
			for _, msg := range portNameErrors(t.StrVal) {
				v.errs = append(v.errs, field.Invalid(servicePortPath(i).Child("targetPort"), t.StrVal, msg))
			}
		}
		if sp.NodePort != 0 {
			if spec.Type == "" || spec.Type == corev1.ServiceTypeClusterIP {
				v.errs = append(v.errs, field.Forbidden(servicePortPath(i).Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
			}
			for _, msg := range validation.IsValidPortNum(int(sp.NodePort)) {
				v.errs = append(v.errs, field.Invalid(servicePortPath(i).Child("nodePort"), sp.NodePort, msg))
			}
		}
		proto := orTCP(sp.Protocol)
		if slices.ContainsFunc(spec.Ports[:i], func(o corev1.ServicePort) bool { return o.Port == sp.Port && orTCP(o.Protocol) == proto }) {
			v.errs = append(v.errs, field.Duplicate(servicePortPath(i), fmt.Sprintf("%d/%s", sp.Port, proto)))
		}
	}
	v.labels(spec.Selector, serviceSelectorPath)
}

// servicePortPath is the path of spec.ports[i], made only for an error.
func servicePortPath(i int) *field.Path { return specPath.Child("ports").Index(i) }

func orTCP(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// printable quotes a name that holds characters that are not printable
// (the API server refuses such names), so that an error naming the object
// cannot write control characters to the terminal.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.Quote(s)
}
