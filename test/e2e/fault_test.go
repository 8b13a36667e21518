package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// faultProxy is a plain-HTTP reverse proxy in front of the API server: it
// forwards every request with the credentials of upstream, except that it
// answers paths in notFound with the API server's own 404 and holds
// requests to paths in hang without answering (until the client gives up
// or the test ends). It returns a kubeconfig pointing at the proxy.
type faultProxy struct {
	notFound, hang []string

	mu   sync.Mutex
	seen []string
}

func (p *faultProxy) start(t *testing.T, upstream *rest.Config) string {
	t.Helper()
	target, err := url.Parse(upstream.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(upstream)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: transport,
	}
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.URL.Path)
		p.mu.Unlock()
		switch {
		case slices.Contains(p.notFound, r.URL.Path):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}`)
		case slices.Contains(p.hang, r.URL.Path):
			select {
			case <-r.Context().Done():
			case <-done:
			}
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	return writeKubeconfig(t, srv.URL)
}

// requested reports whether the proxy saw a request for path.
func (p *faultProxy) requested(path string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.seen {
		if strings.HasSuffix(s, " "+path) {
			return true
		}
	}
	return false
}

// writeKubeconfig writes a kubeconfig for a server without authentication
// (a proxy that authenticates itself upstream) with namespace default.
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	cfg.CurrentContext = "proxy"
	path := filepath.Join(t.TempDir(), "proxy.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// runBinaryWithin runs the built kubectl-netpol and kills it after d; a
// killed run fails the test, since it means the command hung.
func runBinaryWithin(t *testing.T, d time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "KUBECONFIG=/nonexistent")
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("kubectl netpol %s hung: killed after %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), d, out.String(), errOut.String())
	}
	t.Logf("kubectl netpol %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", binary, err)
	}
	return result{out.String(), errOut.String(), code}
}

// TestSilentServerFailsTheCommand: a proxy that accepts connections and
// never answers, or a server that answers all but one request, fails the
// command within --request-timeout with an error naming the request and
// the flag, instead of hanging it (kubectl waits forever by default; the
// plugin's own 30s default is pinned by TestRequestTimeout in plugin/).
func TestSilentServerFailsTheCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never read, never answered
			mu.Unlock()
		}
	}()
	silent := writeKubeconfig(t, "http://"+ln.Addr().String())
	oneHangs := (&faultProxy{hang: []string{
		"/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies", "/apis/networking.k8s.io/v1/networkpolicies",
	}}).start(t, env.Config)

	for _, tc := range []struct {
		name, kubeconfig string
		wantErr          []string
	}{
		{"a proxy that never answers", silent, []string{"cannot list namespaces cluster-wide", "/api/v1/namespaces", "no answer within --request-timeout 2s"}},
		{"a server that answers all but the NetworkPolicies", oneHangs, []string{"cannot list networkpolicies", "/networkpolicies?", "no answer within --request-timeout 2s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, args := range [][]string{
				{"can", "-n", "prod", "api", "db:3306"},
				{"map", "-A"},
				{"audit", "-A"},
			} {
				r := runBinaryWithin(t, time.Minute, append(args, "--kubeconfig", tc.kubeconfig, "--request-timeout", "2s")...)
				if r.code != 2 {
					t.Errorf("%v: exit %d, want 2\nstdout: %s", args, r.code, r.stdout)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("%v: stderr lacks %q:\n%s", args, want, r.stderr)
					}
				}
			}
		})
	}
}
