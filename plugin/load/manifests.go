// Package load reads cluster state for kubectl netpol: manifests from disk
// or stdin, and live clusters through client-go, turned into the typed,
// defaulted objects query.NewSnapshot takes.
//
// Manifests are decoded straight into typed objects with sigs.k8s.io/json's
// strict decoder (the decoder the API server's strict field validation
// uses), one file per core. YAML documents are turned into JSON by
// yamlToJSON, a converter for the YAML manifests are written in, and by
// sigs.k8s.io/yaml (through apimachinery's YAML/JSON decoder) when it
// refuses them. The cli-runtime resource builder was used first; its
// unstructured round trip made a 2,000-pod cluster dump take 6 s to read
// instead of about 1 s. sigs.k8s.io/yaml alone was then two thirds of the
// time of "map" on such a cluster written as YAML.
package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npav1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

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
	// Positions, when set, receives where each object is written.
	Positions *Positions
	// Kustomizations are directories rendered with kustomize (-k).
	Kustomizations []string
	// Charts are Helm charts rendered with their values (--helm).
	Charts []Chart
	// Shown, when set, is how a path is named in messages: a checkout of
	// a git revision is named by the paths in the working tree.
	Shown func(path string) string
	// Whole keeps pods and workloads as written, for objects to be created
	// on an API server or compared with what was written. Otherwise each
	// is cut to what verdicts read (query.Trim) as it is decoded, so that
	// a large cluster's manifests are held in a fraction of the memory.
	Whole bool
}

// shown is how a path is named in messages.
func (src Source) shown(path string) string {
	if src.Shown == nil {
		return path
	}
	return src.Shown(path)
}

// Scheme is client-go's scheme plus the policy.networking.k8s.io kinds:
// ClusterNetworkPolicy v1beta1 and v1alpha2, and the v1alpha1
// AdminNetworkPolicy and BaselineAdminNetworkPolicy.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{scheme.AddToScheme, npav1beta1.Install, npav1alpha2.Install, npav1alpha1.Install} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// Manifests reads every object of the source. Kinds the engine does not
// read are skipped, those that may matter with one warning on warn
// (skipped.go); malformed objects are errors
// naming the file and the object, and so is a path nothing is read from.
// Files are decoded in parallel; the result keeps their order.
func Manifests(src Source, warn io.Writer) ([]runtime.Object, error) {
	inputs, perPath, err := expand(src, warn)
	if err != nil {
		return nil, err
	}
	sets, err := render(src, warn)
	if err != nil {
		return nil, err
	}
	for _, r := range sets {
		inputs = append(inputs, r.inputs...)
	}
	results := make([]fileResult, len(inputs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, goruntime.GOMAXPROCS(0))
	for i := range inputs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			data := inputs[i].data
			if data == nil {
				b, err := readFile(inputs[i].name)
				if err != nil {
					results[i].err = err
					return
				}
				data = b
			}
			if inputs[i].inDir && isExpectations(data) {
				return
			}
			results[i] = decodeFile(src.shown(inputs[i].name), data, src.Namespace, src.Whole)
		}()
	}
	wg.Wait()
	seen := map[string]string{}
	var out []runtime.Object
	var emptyStatus []string
	var skipped []skippedObject
	for i, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		for _, w := range r.warnings {
			fmt.Fprintf(warn, "Warning: %s: %s\n", src.shown(inputs[i].name), w)
		}
		for _, what := range r.emptyStatus {
			emptyStatus = append(emptyStatus, src.shown(inputs[i].name)+": "+what)
		}
		for _, s := range r.skipped {
			s.file = inputs[i].name
			skipped = append(skipped, s)
		}
		for j, obj := range r.objects {
			id := r.ids[j]
			if prev, dup := seen[id]; dup {
				return nil, fmt.Errorf("%s: %s is also defined in %s", src.shown(inputs[i].name), id, prev)
			}
			seen[id] = src.shown(inputs[i].name)
			out = append(out, obj)
		}
		if src.Positions != nil && inputs[i].data == nil {
			src.Positions.record(inputs[i].name, r.objects, r.docs)
		}
	}
	for p, path := range src.Filenames {
		n := 0
		for _, i := range perPath[p] {
			n += len(results[i].objects) + len(results[i].skipped)
		}
		if n == 0 {
			return nil, noObjects(src.shown(path), len(perPath[p]) == 0, src.Recursive)
		}
	}
	if err := noneRendered(sets, results[len(results)-renderedInputs(sets):]); err != nil {
		return nil, err
	}
	reportSkipped(warn, skipped)
	if len(emptyStatus) > 0 {
		more := ""
		if n := len(emptyStatus) - 1; n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		fmt.Fprintf(warn, "Warning: %s%s: ignoring the empty status (NetworkPolicy has none since Kubernetes 1.28; kubectl 1.24 to 1.27 exported an empty one)\n", emptyStatus[0], more)
	}
	return out, nil
}

// fileResult is what one file decoded to.
type fileResult struct {
	// whole keeps pods and workloads as written (Source.Whole).
	whole bool
	// converted tells that documents are JSON converted from YAML, valid
	// by construction, whose header quickHeader may read.
	converted bool
	objects   []runtime.Object
	ids       []string
	// docs are the documents the objects are written in (place).
	docs     []docRef
	warnings []string
	// emptyStatus are the NetworkPolicies whose empty status was ignored.
	emptyStatus []string
	// skipped are the objects of kinds not read.
	skipped []skippedObject
	err     error
}

// typeMeta is the part of a document that says what it is.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// decodeFile splits a file into YAML or JSON documents and decodes each,
// flattening Lists. YAML documents go through yamlToJSON, and through
// sigs.k8s.io/yaml when it refuses them; a JSON file, or a file whose
// document separators apimachinery's splitter would stumble on, is read by
// apimachinery's YAMLOrJSONDecoder as a whole. Both paths give the same
// JSON, and the same errors, for every document.
func decodeFile(name string, data []byte, defaultNS string, whole bool) fileResult {
	if utilyaml.IsJSONBuffer(data[:min(len(data), jsonSniffLen)]) {
		// Most JSON files hold one value, often a big List (a cluster
		// dump): decode it in place rather than copy it through the
		// stream decoder. Anything else, errors included, takes the
		// stream decoder, which reports them as it always has.
		res := fileResult{whole: whole}
		if err := res.decodeDoc(data, defaultNS); err == nil {
			res.place(data, 1)
			return res
		} else if !isSyntaxError(err) {
			res.err = documentError(name, 1, err)
			return res
		}
		return decodeStream(name, data, defaultNS, whole)
	}
	docs, lines, ok := splitYAML(data)
	if !ok {
		return decodeStream(name, data, defaultNS, whole)
	}
	res := fileResult{whole: whole, converted: true}
	for i, doc := range docs {
		raw, ok := yamlToJSON(doc)
		if !ok {
			// The document is what apimachinery's YAML reader would make of
			// it, so sigs.k8s.io/yaml gives today's value or error.
			if doc[len(doc)-1] != '\n' {
				doc = append(doc[:len(doc):len(doc)], '\n')
			}
			r, err := yamlDocToJSON(name, doc, lines[i])
			if err != nil {
				res.err = err
				return res
			}
			raw = r
		}
		if !res.add(name, i+1, raw, defaultNS) {
			return res
		}
		res.place(doc, lines[i])
	}
	return res
}

// isSyntaxError reports whether err is, or wraps, a JSON syntax error of
// encoding/json or sigs.k8s.io/json.
func isSyntaxError(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if ok, _ := kjson.SyntaxErrorOffset(err); ok {
			return true
		}
	}
	return false
}

// jsonSniffLen is how far NewYAMLOrJSONDecoder is asked to look for the
// "{" that makes a stream JSON.
const jsonSniffLen = 4096

// splitYAML splits a YAML stream into documents as apimachinery's
// YAMLReader does: at lines that start with "---", which themselves belong
// to no document; documents of nothing are dropped. lines are the lines
// of data the documents start at. It refuses (ok=false) streams with
// carriage returns, which that reader drops from line ends, and separator
// lines followed by anything but a comment, which it reports as errors:
// decodeStream reads those.
func splitYAML(data []byte) (docs [][]byte, lines []int, ok bool) {
	if bytes.IndexByte(data, '\r') >= 0 {
		return nil, nil, false
	}
	start, startLine := 0, 1
	for pos, line := 0, 1; pos < len(data); line++ {
		end := len(data)
		if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
			end = pos + i
		}
		next := min(end+1, len(data))
		if text := data[pos:end]; bytes.HasPrefix(text, []byte("---")) {
			if rest := bytes.TrimSpace(text[3:]); len(rest) > 0 && rest[0] != '#' {
				return nil, nil, false
			}
			if pos > start {
				docs, lines = append(docs, data[start:pos]), append(lines, startLine)
			}
			start, startLine = next, line+1
		}
		pos = next
	}
	if start < len(data) {
		docs, lines = append(docs, data[start:]), append(lines, startLine)
	}
	return docs, lines, true
}

// decodeStream decodes a file with apimachinery's YAMLOrJSONDecoder, or
// for YAML, its YAMLReader and sigs.k8s.io/yaml (which that decoder uses)
// converting strictly.
func decodeStream(name string, data []byte, defaultNS string, whole bool) fileResult {
	res := fileResult{whole: whole}
	if !utilyaml.IsJSONBuffer(data[:min(len(data), jsonSniffLen)]) {
		res.converted = true
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		lines := newLineCounter(data)
		for n := 1; ; n++ {
			doc, err := r.Read()
			if err == io.EOF {
				return res
			}
			if err != nil {
				res.err = fmt.Errorf("error parsing %s: %w", name, err)
				return res
			}
			line := lines.next(doc)
			raw, err := yamlDocToJSON(name, doc, line)
			if err != nil {
				res.err = err
				return res
			}
			if !res.add(name, n, raw, defaultNS) {
				return res
			}
			res.place(doc, line)
		}
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), jsonSniffLen)
	for doc := 1; ; doc++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err == io.EOF {
				return res
			}
			res.err = fmt.Errorf("error parsing %s: %w", name, err)
			return res
		}
		if !res.add(name, doc, raw, defaultNS) {
			return res
		}
		res.place(raw, 0)
	}
}

// add decodes document doc (from 1) of the file name, unless it is
// empty, and reports whether it went well.
func (res *fileResult) add(name string, doc int, raw []byte, defaultNS string) bool {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return true
	}
	if err := res.decodeDoc(raw, defaultNS); err != nil {
		res.err = documentError(name, doc, err)
		return false
	}
	return true
}

// place records that the objects decoded since the last call are written
// in doc, which starts at line (0 when unknown).
func (res *fileResult) place(doc []byte, line int) {
	for len(res.docs) < len(res.objects) {
		res.docs = append(res.docs, docRef{text: doc, line: line})
	}
}

// decodeDoc decodes one document: an object, or a list of them.
func (res *fileResult) decodeDoc(raw []byte, defaultNS string) error {
	return res.decodeItem(raw, defaultNS, nil)
}

// decodeItem decodes an object or list. An object of a typed list (list
// not nil) that names neither its apiVersion nor its kind, as the API
// server writes them, is of the list's apiVersion and item kind, as
// kubectl reads it.
func (res *fileResult) decodeItem(raw []byte, defaultNS string, list *typeMeta) error {
	tm, err := res.header(raw)
	if err != nil {
		return err
	}
	if list != nil && tm.APIVersion == "" && tm.Kind == "" {
		tm.APIVersion, tm.Kind = list.APIVersion, strings.TrimSuffix(list.Kind, "List")
	}
	what := describe(tm.Kind, tm.Metadata.Namespace, tm.Metadata.Name)
	if tm.Kind == "" || tm.APIVersion == "" {
		return fmt.Errorf("%s: apiVersion and kind are required", what)
	}
	if strings.HasSuffix(tm.Kind, "List") && tm.Items != nil {
		// A cluster dump is one big List: decode its items on every core.
		var list *typeMeta
		if tm.Kind != "List" {
			list = &tm
		}
		items := make([]fileResult, len(tm.Items))
		for i := range items {
			items[i].whole, items[i].converted = res.whole, res.converted
		}
		errs := make([]error, len(tm.Items))
		var wg sync.WaitGroup
		chunk := max(64, len(tm.Items)/(4*goruntime.GOMAXPROCS(0)))
		for lo := 0; lo < len(tm.Items); lo += chunk {
			hi := min(lo+chunk, len(tm.Items))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					errs[i] = items[i].decodeItem(tm.Items[i], defaultNS, list)
				}
			}()
		}
		wg.Wait()
		for i := range items {
			if big := (*objectTooLarge)(nil); errors.As(errs[i], &big) && big.item == 0 {
				big.item = i + 1
			}
			if errs[i] != nil {
				return errs[i]
			}
			res.objects = append(res.objects, items[i].objects...)
			res.ids = append(res.ids, items[i].ids...)
			res.warnings = append(res.warnings, items[i].warnings...)
			res.emptyStatus = append(res.emptyStatus, items[i].emptyStatus...)
			res.skipped = append(res.skipped, items[i].skipped...)
		}
		return nil
	}
	if len(raw) > MaxObjectBytes {
		return &objectTooLarge{}
	}
	gvk, read, err := kindOf(tm.APIVersion, tm.Kind)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !read {
		res.skipped = append(res.skipped, skipKind(what, gvk.GroupKind()))
		return nil
	}
	obj, warnings, emptyStatus, err := typed(raw, gvk, defaultNS)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if cm, ok := obj.(*corev1.ConfigMap); ok && cm.Name != query.CiliumConfigMap {
		// Of ConfigMaps, only Cilium's settings change verdicts.
		res.skipped = append(res.skipped, skippedObject{what: what, kind: gvk.GroupKind(),
			why: fmt.Sprintf("kubectl netpol reads only the ConfigMap %s (Cilium's settings)", query.CiliumConfigMap)})
		return nil
	}
	if emptyStatus {
		res.emptyStatus = append(res.emptyStatus, what)
	}
	if !res.whole {
		// Of a pod or a workload, the snapshot keeps only what verdicts read.
		obj = query.Trim(obj)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	for _, w := range warnings {
		res.warnings = append(res.warnings, what+": "+w)
	}
	m := obj.(metav1.Object)
	res.objects = append(res.objects, obj)
	res.ids = append(res.ids, objectID(gvk, m.GetNamespace(), m.GetName()))
	return nil
}

// header decodes what a document says it is.
func (res *fileResult) header(raw []byte) (typeMeta, error) {
	if res.converted {
		if tm, ok := quickHeader(raw); ok {
			return tm, nil
		}
	}
	var tm typeMeta
	// Strict for duplicates: the fields of a List, whose items typed()
	// does not see, and kind, apiVersion and names, whose last value
	// would otherwise name the object.
	strict, err := kjson.UnmarshalStrict(raw, &tm, kjson.DisallowDuplicateFields)
	if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) && te.Field != "" {
		return tm, readableJSONError(err)
	} else if err != nil {
		return tm, fmt.Errorf("not a Kubernetes object: %w", readableJSONError(err))
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return tm, fmt.Errorf("%s: strict decoding error: %s", describe(tm.Kind, tm.Metadata.Namespace, tm.Metadata.Name), strings.Join(msgs, ", "))
	}
	return tm, nil
}

// typed decodes one object into its typed form, strictly (unknown and
// duplicate fields are errors, as kubectl's default validation makes
// them), applies the namespace default and validates NetworkPolicies.
// The network plugins' policy kinds are unstructured (unevaluatedObject).
// emptyStatus tells that the empty status of a NetworkPolicy was ignored.
func typed(raw []byte, gvk schema.GroupVersionKind, defaultNS string) (obj runtime.Object, warnings []string, emptyStatus bool, err error) {
	if k, _ := query.LookupPluginKind(gvk); k != nil {
		u, err := unevaluatedObject(raw, gvk, k, defaultNS)
		if err != nil {
			return nil, nil, false, err
		}
		return u, nil, false, nil
	}
	obj, err = Scheme.New(gvk)
	if err != nil {
		return nil, nil, false, fmt.Errorf("unsupported apiVersion %q for kind %s", gvk.GroupVersion(), gvk.Kind)
	}
	strict, err := kjson.UnmarshalStrict(raw, obj)
	if err != nil {
		return nil, nil, false, readableJSONError(err)
	}
	if warnings, emptyStatus, err = strictErrors(obj, gvk, raw, strict); err != nil {
		return nil, nil, false, err
	}
	m := obj.(metav1.Object)
	if m.GetName() == "" {
		return nil, nil, false, fmt.Errorf("metadata.name: required")
	}
	switch o := obj.(type) {
	case *corev1.Namespace:
		o.Namespace = ""
	case *networkingv1.NetworkPolicy:
		setNamespace(o, defaultNS)
		if _, err := query.CompilePolicy(o); err != nil {
			return nil, nil, false, err
		}
	case *corev1.Node:
		o.Namespace = ""
	case *npav1beta1.ClusterNetworkPolicy, *npav1alpha2.ClusterNetworkPolicy, *npav1alpha1.AdminNetworkPolicy, *npav1alpha1.BaselineAdminNetworkPolicy:
		m.SetNamespace("")
		if _, err := query.CompileClusterPolicy(obj); err != nil {
			return nil, nil, false, err
		}
	default:
		setNamespace(m, defaultNS)
	}
	more, err := validate(obj)
	if err != nil {
		return nil, nil, false, err
	}
	return obj, append(warnings, more...), emptyStatus, nil
}

func setNamespace(o interface {
	GetNamespace() string
	SetNamespace(string)
}, ns string) {
	if o.GetNamespace() == "" {
		o.SetNamespace(ns)
	}
}

// describe names an object the way kubectl does: kind namespace/name.
func describe(kind, namespace, name string) string {
	kind, namespace, name = strings.ToLower(kind), printable(namespace), printable(name)
	if kind == "" {
		kind = "object"
	}
	switch {
	case name == "":
		return kind + " without a name"
	case namespace == "" || kind == "namespace":
		return kind + " " + name
	default:
		return fmt.Sprintf("%s %s/%s", kind, namespace, name)
	}
}
