// Package load reads cluster state for kubectl netpol: manifests from disk
// or stdin (cli-runtime's resource builder in local mode), turned into the
// typed, defaulted objects query.NewSnapshot takes.
package load

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Source says where manifests come from.
type Source struct {
	// Filenames are files, directories or "-" for Stdin.
	Filenames []string
	Recursive bool
	Stdin     io.Reader
	// Namespace is given to namespaced objects that name none.
	Namespace string
}

// kinds are the kinds the engine reads, by group and kind; any version the
// client-go scheme knows is accepted.
var kinds = map[schema.GroupKind]bool{
	{Kind: "Namespace"}:                                 true,
	{Kind: "Pod"}:                                       true,
	{Kind: "Service"}:                                   true,
	{Kind: "ReplicationController"}:                     true,
	{Group: "apps", Kind: "Deployment"}:                 true,
	{Group: "apps", Kind: "StatefulSet"}:                true,
	{Group: "apps", Kind: "DaemonSet"}:                  true,
	{Group: "apps", Kind: "ReplicaSet"}:                 true,
	{Group: "batch", Kind: "Job"}:                       true,
	{Group: "batch", Kind: "CronJob"}:                   true,
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}: true,
}

// Manifests reads every object of the source. Unknown kinds are skipped
// with a warning on warn; malformed objects are errors naming the file and
// the object.
func Manifests(src Source, warn io.Writer) ([]runtime.Object, error) {
	b := resource.NewLocalBuilder().Unstructured().Flatten()
	var files []string
	for _, f := range src.Filenames {
		if f == "-" {
			if src.Stdin == nil {
				return nil, fmt.Errorf("-f -: no standard input")
			}
			b = b.Stream(src.Stdin, "STDIN")
			continue
		}
		expanded, err := expandDir(f, src.Recursive)
		if err != nil {
			return nil, err
		}
		files = append(files, expanded...)
	}
	if len(files) > 0 {
		b = b.FilenameParam(false, &resource.FilenameOptions{Filenames: files})
	}
	infos, err := b.Do().Infos()
	if err != nil {
		return nil, err
	}
	seen := map[string]string{}
	var out []runtime.Object
	for _, info := range infos {
		u, ok := info.Object.(*unstructured.Unstructured)
		if !ok {
			return nil, fmt.Errorf("%s: unexpected object %T", info.Source, info.Object)
		}
		obj, err := typed(u, src.Namespace)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", info.Source, describe(u), err)
		}
		if obj == nil {
			fmt.Fprintf(warn, "Warning: %s: skipping %s: kubectl netpol does not read kind %s\n", info.Source, describe(u), u.GroupVersionKind().GroupKind())
			continue
		}
		id := gvkName(u, obj)
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s: %s is also defined in %s", info.Source, id, prev)
		}
		seen[id] = info.Source
		out = append(out, obj)
	}
	return out, nil
}

// expandDir lists the manifests of a directory (.yaml, .yml, .json; into
// subdirectories with recursive), as kubectl does, leaving out expectation
// files of "kubectl netpol test" that live beside the manifests they test.
// A file is returned as it is.
func expandDir(path string, recursive bool) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("the path %q does not exist", path)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		if isExpectations(p) {
			return nil
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// isExpectations reports whether a file is a list of "kubectl netpol test"
// expectations rather than Kubernetes objects.
func isExpectations(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var items []map[string]any
	if err := yaml.Unmarshal(b, &items); err != nil || len(items) == 0 {
		return false
	}
	for _, it := range items {
		if _, ok := it["expect"]; !ok {
			return false
		}
	}
	return true
}

// typed converts one object to its typed form, strictly (unknown fields are
// errors, as kubectl's default validation makes them), applies the
// namespace default and validates NetworkPolicies. It returns nil for kinds
// the engine does not read.
func typed(u *unstructured.Unstructured, defaultNS string) (runtime.Object, error) {
	gvk := u.GroupVersionKind()
	if !kinds[gvk.GroupKind()] {
		return nil, nil
	}
	obj, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("unsupported apiVersion %q for kind %s", u.GetAPIVersion(), gvk.Kind)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, obj, true); err != nil {
		return nil, err
	}
	if u.GetName() == "" {
		return nil, fmt.Errorf("metadata.name: required")
	}
	switch o := obj.(type) {
	case *corev1.Namespace:
		o.Namespace = ""
	case *networkingv1.NetworkPolicy:
		setNamespace(o, defaultNS)
		if _, err := query.CompilePolicy(o); err != nil {
			return nil, err
		}
	default:
		setNamespace(obj.(interface {
			GetNamespace() string
			SetNamespace(string)
		}), defaultNS)
	}
	return obj, nil
}

func setNamespace(o interface {
	GetNamespace() string
	SetNamespace(string)
}, ns string) {
	if o.GetNamespace() == "" {
		o.SetNamespace(ns)
	}
}

// gvkName identifies an object after namespace defaulting.
func gvkName(u *unstructured.Unstructured, obj runtime.Object) string {
	m := obj.(interface{ GetNamespace() string })
	if ns := m.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", strings.ToLower(u.GetKind()), ns, u.GetName())
	}
	return strings.ToLower(u.GetKind()) + " " + u.GetName()
}

// describe names an object the way kubectl does: kind namespace/name.
func describe(u *unstructured.Unstructured) string {
	kind := strings.ToLower(u.GetKind())
	if kind == "" {
		kind = "object"
	}
	switch {
	case u.GetName() == "":
		return kind + " without a name"
	case u.GetNamespace() == "" || u.GetKind() == "Namespace":
		return kind + " " + u.GetName()
	default:
		return fmt.Sprintf("%s %s/%s", kind, u.GetNamespace(), u.GetName())
	}
}
