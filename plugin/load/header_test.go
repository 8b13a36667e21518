package load

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	kjson "sigs.k8s.io/json"
)

// slowHeader is the strict decode quickHeader stands in for, and whether
// it gives a header without error.
func slowHeader(raw []byte) (typeMeta, bool) {
	var tm typeMeta
	strict, err := kjson.UnmarshalStrict(raw, &tm, kjson.DisallowDuplicateFields)
	return tm, err == nil && len(strict) == 0 && tm.Items == nil
}

func sameHeader(a, b typeMeta) bool {
	return a.APIVersion == b.APIVersion && a.Kind == b.Kind && a.Metadata == b.Metadata
}

func TestQuickHeader(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool // quickHeader answers
	}{
		{`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}}`, true},
		{` { "kind" : "Pod" , "apiVersion" : "v1" , "metadata" : { } , "x" : [1, true, null, "s\"}"] } `, true},
		{`{"kind":"Pod","apiVersion":"v1","spec":{"a":"\\"},"metadata":{"name":"p"}}`, true},
		{`{}`, true},
		{`{"kind":"List","apiVersion":"v1","items":[]}`, false},
		{`{"kind":"Pod","kind":"Service","apiVersion":"v1"}`, false},
		{`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","name":"b"}}`, false},
		{`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"},"metadata":{}}`, false},
		{`{"kind":"P\u006fd","apiVersion":"v1"}`, false},
		{`{"k\u0069nd":"Pod","apiVersion":"v1"}`, false},
		{`{"kind":null,"apiVersion":"v1"}`, false},
		{`{"kind":3,"apiVersion":"v1"}`, false},
		{`{"kind":"Pod","apiVersion":"v1","metadata":null}`, false},
		{`{"kind":"Pod","apiVersion":"v1","metadata":{"name":7}}`, false},
		{`[{"kind":"Pod"}]`, false},
		{`"Pod"`, false},
	} {
		got, ok := quickHeader([]byte(tc.doc))
		if ok != tc.want {
			t.Errorf("quickHeader(%s) ok = %v, want %v", tc.doc, ok, tc.want)
			continue
		}
		if want, slowOK := slowHeader([]byte(tc.doc)); ok && (!slowOK || !sameHeader(got, want)) {
			t.Errorf("quickHeader(%s) = %+v, the strict decode %+v (ok %v)", tc.doc, got, want, slowOK)
		}
	}
}

// TestQuickHeaderOnTestdata checks quickHeader against the strict decode
// on every document of the repository's manifests.
func TestQuickHeaderOnTestdata(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/*/*.yaml")
	n := 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		docs, _, ok := splitYAML(data)
		if !ok {
			continue
		}
		for _, doc := range docs {
			raw, ok := yamlToJSON(doc)
			if !ok {
				continue
			}
			got, quick := quickHeader(raw)
			want, slow := slowHeader(raw)
			if quick && (!slow || !sameHeader(got, want)) {
				t.Errorf("%s: quickHeader = %+v, the strict decode %+v (ok %v)", name, got, want, slow)
			}
			if quick {
				n++
			}
		}
	}
	if n < 50 {
		t.Errorf("quickHeader answered for %d documents only", n)
	}
}

// FuzzQuickHeader checks that whenever quickHeader answers for valid JSON,
// the strict decode gives the same header without error.
func FuzzQuickHeader(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n"}}`))
	f.Add([]byte(`{"kind":"Pod","x":{"y":["\"]"]},"apiVersion":"v1"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		got, quick := quickHeader(raw)
		want, slow := slowHeader(raw)
		if quick && (!slow || !sameHeader(got, want)) {
			t.Errorf("quickHeader(%q) = %+v, the strict decode %+v (ok %v)", raw, got, want, slow)
		}
	})
}
