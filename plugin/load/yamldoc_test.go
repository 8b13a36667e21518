package load

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDuplicateKeysAreErrors(t *testing.T) {
	const policy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
`
	for _, tc := range []struct {
		name, file, data string
		want             string
	}{
		{
			name: "a key given twice in a YAML mapping names the file, the line and the key",
			file: "a.yaml",
			data: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {app: a}\n  name: b\n",
			want: `a.yaml: line 6: duplicate key "name"`,
		},
		{
			name: "a block value given twice names the key's line",
			file: "a.yaml",
			data: policy + "  ingress:\n  - {}\n",
			want: `a.yaml: line 9: duplicate key "ingress"`,
		},
		{
			name: "the line is the file's, in a later document",
			file: "a.yaml",
			data: "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\n# comment\n" + strings.Replace(policy, "{app: api}", "{app: api, app: web}", 1),
			want: `a.yaml: line 13: duplicate key "app"`,
		},
		{
			name: "a duplicate in a document with a block scalar names the file's line",
			file: "a.yaml",
			data: "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    note: |\n      x\n  name: b\n",
			want: `a.yaml: line 12: duplicate key "name"`,
		},
		{
			name: "a duplicate in a file with carriage returns names the file's line",
			file: "a.yaml",
			data: "apiVersion: v1\r\nkind: Namespace\r\nmetadata: {name: prod}\r\n---\r\napiVersion: v1\r\nkind: Pod\r\nkind: Pod\r\nmetadata: {name: a}\r\n",
			want: `a.yaml: line 7: duplicate key "kind"`,
		},
		{
			name: "a field given twice in JSON is an error",
			file: "a.json",
			data: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"}}`,
			want: `a.json: pod b: strict decoding error: duplicate field "metadata.name"`,
		},
		{
			name: "the items of a JSON List given twice are an error",
			file: "a.json",
			data: `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}],"items":[]}`,
			want: `a.json: list without a name: strict decoding error: duplicate field "items"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{tc.file: tc.data})
			objs, err := Manifests(Source{Filenames: []string{dir}, Namespace: "default"}, &strings.Builder{})
			if err == nil {
				t.Fatalf("read %d objects and no error; want %q", len(objs), tc.want)
			}
			if diff := cmp.Diff(tc.want, strings.TrimPrefix(err.Error(), dir+"/")); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLineCounterFindsDocuments(t *testing.T) {
	data := []byte("--- # a\na: 1\n---\n---\nb: 2\nc: 3\n--- # a: 1\na: 1\n")
	c := newLineCounter(data)
	var got []int
	for _, doc := range []string{"a: 1\n", "b: 2\nc: 3\n", "a: 1\n"} {
		got = append(got, c.next([]byte(doc)))
	}
	if diff := cmp.Diff([]int{2, 5, 8}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}
