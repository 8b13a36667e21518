package load

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// TestListChunkSize: lists are paged by ChunkSize as kubectl's --chunk-size
// pages them, and 0 reads a list in one request without a limit.
func TestListChunkSize(t *testing.T) {
	const namespaces = 5
	for _, tc := range []struct {
		name      string
		chunkSize int64
		want      []string // the limit and continue of each request
	}{
		{"pages of 2", 2, []string{"limit=2", "limit=2 continue=2", "limit=2 continue=4"}},
		{"one page when the size exceeds the list", DefaultChunkSize, []string{"limit=500"}},
		{"0 disables chunking: one request, no limit", 0, []string{"limit="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				req := "limit=" + q.Get("limit")
				if c := q.Get("continue"); c != "" {
					req += " continue=" + c
				}
				got = append(got, req)
				from, _ := strconv.Atoi(q.Get("continue"))
				to := namespaces
				if limit, _ := strconv.Atoi(q.Get("limit")); limit > 0 && from+limit < namespaces {
					to = from + limit
				}
				next := ""
				if to < namespaces {
					next = strconv.Itoa(to)
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{"continue":%q},"items":[`, next)
				for i := from; i < to; i++ {
					if i > from {
						fmt.Fprint(w, ",")
					}
					fmt.Fprintf(w, `{"metadata":{"name":"ns-%d"}}`, i)
				}
				fmt.Fprint(w, "]}")
			}))
			defer srv.Close()
			cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			c := &Cluster{Client: cs, ChunkSize: tc.chunkSize}
			objs, err := c.list(context.Background(), "namespaces", "", func(o metav1.ListOptions) (runtime.Object, error) {
				return cs.CoreV1().Namespaces().List(context.Background(), o)
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) != namespaces {
				t.Errorf("read %d namespaces, want %d", len(objs), namespaces)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNewClient: the plugin's clientset asks for protobuf and still reads
// a server that answers JSON, and its client-side rate limit is kubectl's
// for discovery unless the config sets one.
func TestNewClient(t *testing.T) {
	for _, tc := range []struct {
		name    string
		qps     float32
		wantQPS float32
	}{
		{"no rate limit configured: 50 a second", 0, 50},
		{"a configured rate limit is kept", 7, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var accept string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				accept = r.Header.Get("Accept")
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"web","namespace":"prod"}}]}`)
			}))
			defer srv.Close()
			cfg := &rest.Config{Host: srv.URL, QPS: tc.qps, Burst: 10}
			client, err := NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			pods, err := client.CoreV1().Pods("prod").List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(pods.Items) != 1 || pods.Items[0].Name != "web" {
				t.Errorf("pods %+v, want prod/web", pods.Items)
			}
			if want := "application/vnd.kubernetes.protobuf,application/json"; accept != want {
				t.Errorf("Accept: %q, want %q", accept, want)
			}
			if got := client.CoreV1().RESTClient().GetRateLimiter().QPS(); got != tc.wantQPS {
				t.Errorf("QPS %v, want %v", got, tc.wantQPS)
			}
			if cfg.ContentType != "" || cfg.QPS != tc.qps {
				t.Errorf("the config given was changed: %+v", cfg)
			}
		})
	}
}
