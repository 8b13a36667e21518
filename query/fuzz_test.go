package query

import (
	"strings"
	"testing"
)

// FuzzParseFlow checks that no input makes the query parser panic, and that
// whatever parses also resolves (or fails cleanly) against a snapshot.
func FuzzParseFlow(f *testing.F) {
	for _, seed := range []string{
		"web db:3306", "web -> db:3306", "web to db:mysql", "prod/deploy/api prod/svc/db:3306/tcp",
		"role=api,tier!=x prod/role=db", "db 192.168.5.10:80", "db [2001:db8::1]:443/sctp",
		"db 10.0.0.0/8:53/udp", "app.kubernetes.io/name=web x/app in (a,b):80", "a -", "[::1 b:0", "a/b/c/d e:/",
	} {
		f.Add(seed)
	}
	s, err := NewSnapshot(baseObjects(), DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		flow, err := ParseFlow(strings.Fields(in))
		if err != nil {
			return
		}
		_, _ = s.Can(flow, "x")
	})
}
