package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// A policy.networking.k8s.io object may carry fields of a newer CRD than
// the types this tool is built with. The API asks implementations to fail
// closed on them, which the engine can do for one kind of place only: a
// peer or protocol (port) entry that sets no field it knows. Everywhere
// else a field left out could change what a rule means, so it is an error:
// above all inside a label selector, which gains no fields from a newer
// CRD, and which read without the field would select more than written
// (`namespaces: {matchLabel: ...}`, a typo, would select every namespace).

// selectorTypes are the types no newer CRD adds fields to.
var selectorTypes = []reflect.Type{
	reflect.TypeFor[metav1.LabelSelector](),
	reflect.TypeFor[metav1.LabelSelectorRequirement](),
}

// entryTypes are the peer and protocol (port) entries of cluster policy
// rules: the places the engine fails closed when they hold no known field.
var entryTypes = []reflect.Type{
	reflect.TypeFor[npav1beta1.ClusterNetworkPolicyIngressPeer](),
	reflect.TypeFor[npav1beta1.ClusterNetworkPolicyEgressPeer](),
	reflect.TypeFor[npav1beta1.ClusterNetworkPolicyProtocol](),
	reflect.TypeFor[npav1alpha2.ClusterNetworkPolicyIngressPeer](),
	reflect.TypeFor[npav1alpha2.ClusterNetworkPolicyEgressPeer](),
	reflect.TypeFor[npav1alpha2.ClusterNetworkPolicyProtocol](),
	reflect.TypeFor[npav1alpha1.AdminNetworkPolicyIngressPeer](),
	reflect.TypeFor[npav1alpha1.AdminNetworkPolicyEgressPeer](),
	reflect.TypeFor[npav1alpha1.BaselineAdminNetworkPolicyEgressPeer](),
	reflect.TypeFor[npav1alpha1.AdminNetworkPolicyPort](),
}

// newerFields sorts the unknown fields of a decoded cluster policy (the
// paths strict decoding reported, e.g. spec.ingress[0].from[0].x) into
// warnings, for fields alone in a peer or protocol entry, which the engine
// fails closed on, and an error for every other.
func newerFields(obj runtime.Object, paths []string) (warnings []string, err error) {
	var errs []string
	for _, path := range paths {
		if strings.HasPrefix(path, "status.") {
			continue // what a controller reports decides no verdict
		}
		parent, parentPath, field, ok := fieldParent(reflect.ValueOf(obj), path)
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("unknown field %q", path))
		case slices.Contains(selectorTypes, parent.Type()):
			what := "label selector"
			if parent.Type() == selectorTypes[1] {
				what = "label selector requirement"
			}
			errs = append(errs, fmt.Sprintf("%s: unknown field %q in a %s (it has only %s): read without it, the selector would match more than written",
				parentPath, field, what, strings.Join(jsonFields(parent.Type()), ", ")))
		case slices.Contains(entryTypes, parent.Type()):
			if known := setFields(parent); len(known) > 0 {
				errs = append(errs, fmt.Sprintf("%s: has a field this tool does not know (%q) beside %s: it cannot be read as %s alone",
					parentPath, field, strings.Join(known, ", "), strings.Join(known, ", ")))
				continue
			}
			warnings = append(warnings, fmt.Sprintf("%s: unknown field %q (a newer CRD?): the entry holds no field this tool knows, so its rule fails closed", parentPath, field))
		default:
			at := parentPath
			if at == "" {
				at = "the object"
			}
			errs = append(errs, fmt.Sprintf("unknown field %q in %s: a newer CRD's field there could change what the policy means, so it is not ignored", path, at))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return warnings, nil
}

// fieldParent walks v, a decoded object, along a strict decoding error's
// field path (JSON names joined by dots, slice indexes in brackets) to the
// struct that has no field of the path's next name. It returns that struct,
// the path to it and the unknown field's name; ok is false when the path
// does not lead through v's type to an unknown field.
func fieldParent(v reflect.Value, path string) (parent reflect.Value, parentPath, field string, ok bool) {
	pos := 0
	for {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				if v.Kind() == reflect.Interface {
					return reflect.Value{}, "", "", false
				}
				v = reflect.New(v.Type().Elem())
			}
			v = v.Elem()
		}
		if pos >= len(path) {
			return reflect.Value{}, "", "", false
		}
		switch {
		case path[pos] == '[':
			end := strings.IndexByte(path[pos:], ']')
			if end < 0 || (v.Kind() != reflect.Slice && v.Kind() != reflect.Array) {
				return reflect.Value{}, "", "", false
			}
			i, err := strconv.Atoi(path[pos+1 : pos+end])
			if err != nil || i < 0 || i >= v.Len() {
				return reflect.Value{}, "", "", false
			}
			v, pos = v.Index(i), pos+end+1
			continue
		case path[pos] == '.' && pos > 0:
			pos++
		}
		end := len(path)
		if i := strings.IndexAny(path[pos:], ".["); i >= 0 {
			end = pos + i
		}
		name := path[pos:end]
		switch v.Kind() {
		case reflect.Struct:
			f, found := fieldByJSONName(v, name)
			if !found {
				return v, strings.TrimSuffix(path[:pos], "."), path[pos:], true
			}
			v = f
		case reflect.Map:
			if v.Type().Key().Kind() != reflect.String {
				return reflect.Value{}, "", "", false
			}
			e := v.MapIndex(reflect.ValueOf(name).Convert(v.Type().Key()))
			if !e.IsValid() {
				return reflect.Value{}, "", "", false
			}
			v = e
		default:
			return reflect.Value{}, "", "", false
		}
		pos = end
	}
}

// fieldByJSONName is the field of struct v that encoding/json decodes the
// key name into, looking into embedded structs as it does.
func fieldByJSONName(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if tag == "-" || !sf.IsExported() && !sf.Anonymous {
			continue
		}
		if sf.Anonymous && tag == "" {
			e := v.Field(i)
			if e.Kind() == reflect.Pointer {
				if e.IsNil() {
					e = reflect.New(e.Type().Elem())
				}
				e = e.Elem()
			}
			if e.Kind() == reflect.Struct {
				if f, ok := fieldByJSONName(e, name); ok {
					return f, true
				}
				continue
			}
		}
		if tag == "" {
			tag = sf.Name
		}
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// jsonFields are the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// setFields are the JSON names of the fields of struct v that hold a value.
func setFields(v reflect.Value) []string {
	var out []string
	for i := range v.NumField() {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if tag != "" && tag != "-" && !v.Field(i).IsZero() {
			out = append(out, tag)
		}
	}
	return out
}

// strictErrors turns the strict decoding errors of the object decoded from
// raw into an error, as kubectl's default validation does, except for the
// fields of cluster policies that newerFields lets through with a warning
// and the empty status of a NetworkPolicy (emptyStatus), which kubectl 1.24
// to 1.27 exported: NetworkPolicy had a status then, with conditions only,
// which is gone since Kubernetes 1.28.
func strictErrors(obj runtime.Object, gvk schema.GroupVersionKind, raw []byte, strict []error) (warnings []string, emptyStatus bool, err error) {
	var msgs, unknown []string
	for _, e := range strict {
		var fe kjson.FieldError
		unknownField := errors.As(e, &fe) && strings.HasPrefix(e.Error(), "unknown field ")
		switch {
		case unknownField && gvk.Group == policyGroup:
			unknown = append(unknown, fe.FieldPath())
		case unknownField && fe.FieldPath() == "status" && gvk.GroupKind() == networkPolicyKind:
			if emptyStatus = isEmptyStatus(raw); !emptyStatus {
				msgs = append(msgs, e.Error()+" (NetworkPolicy has no status since Kubernetes 1.28; only an empty one is ignored)")
			}
		default:
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) > 0 {
		return nil, false, fmt.Errorf("strict decoding error: %s", strings.Join(msgs, ", "))
	}
	if len(unknown) > 0 {
		warnings, err = newerFields(obj, unknown)
	}
	return warnings, emptyStatus, err
}

var networkPolicyKind = schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}

// isEmptyStatus reports whether the object raw has a status that holds
// nothing: null, or a mapping of only nulls and empty mappings, lists and
// strings.
func isEmptyStatus(raw []byte) bool {
	var o struct {
		Status any `json:"status"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return false
	}
	var empty func(v any) bool
	empty = func(v any) bool {
		switch v := v.(type) {
		case nil:
			return true
		case string:
			return v == ""
		case []any:
			return len(v) == 0
		case map[string]any:
			for _, e := range v {
				if !empty(e) {
					return false
				}
			}
			return true
		}
		return false
	}
	m, ok := o.Status.(map[string]any)
	return o.Status == nil || ok && empty(m)
}
