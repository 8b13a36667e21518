package load

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFilenameURL(t *testing.T) {
	defer func(b time.Duration) { urlBackoff = b }(urlBackoff)
	urlBackoff = 0
	var failures atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ns.yaml", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, namespaceA) })
	mux.HandleFunc("/flaky.yaml", func(w http.ResponseWriter, _ *http.Request) {
		if failures.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, namespaceA)
	})
	var down atomic.Int32
	mux.HandleFunc("/down.yaml", func(w http.ResponseWriter, _ *http.Request) {
		down.Add(1)
		http.Error(w, "down", http.StatusInternalServerError)
	})
	var gone atomic.Int32
	mux.HandleFunc("/gone.yaml", func(w http.ResponseWriter, r *http.Request) {
		gone.Add(1)
		http.NotFound(w, r)
	})
	mux.HandleFunc("/empty.yaml", func(http.ResponseWriter, *http.Request) {})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		name     string
		paths    []string
		want     []string
		wantErr  string
		requests *atomic.Int32
		wantReqs int32
	}{
		{name: "a URL is read as a file", paths: []string{srv.URL + "/ns.yaml"}, want: []string{"namespace a"}},
		{name: "a URL given twice is read once", paths: []string{srv.URL + "/ns.yaml", srv.URL + "/ns.yaml"}, want: []string{"namespace a"}},
		{name: "a server error is asked again, as kubectl does", paths: []string{srv.URL + "/flaky.yaml"}, want: []string{"namespace a"}, requests: &failures, wantReqs: 3},
		{name: "a server that keeps failing is an error after three tries", paths: []string{srv.URL + "/down.yaml"}, wantErr: "read " + srv.URL + "/down.yaml: the server answered 500 Internal Server Error", requests: &down, wantReqs: 3},
		{name: "a 404 is an error at once", paths: []string{srv.URL + "/gone.yaml"}, wantErr: "read " + srv.URL + "/gone.yaml: the server answered 404 Not Found", requests: &gone, wantReqs: 1},
		{name: "a URL of nothing is an error, as an empty file is", paths: []string{srv.URL + "/empty.yaml"}, wantErr: `no objects read from "` + srv.URL + `/empty.yaml"`},
		{name: "a server that is not there", paths: []string{"http://127.0.0.1:1/x.yaml"}, wantErr: `Get "http://127.0.0.1:1/x.yaml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := readPaths(t, false, tc.paths...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one holding %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			if tc.requests != nil && tc.requests.Load() != tc.wantReqs {
				t.Errorf("%d requests, want %d", tc.requests.Load(), tc.wantReqs)
			}
		})
	}
}
