package plugin

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

const nodesPolicy = `
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: no-kubelet}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{nodes: {}}], protocols: [{tcp: {destinationPort: {number: 10250}}}]}]
`

// TestManyFlowsNeedNodes pins that map, diff, explain and audit fail, as
// can does for an address, when a cluster policy names nodes and Nodes
// could not be read: they judge addresses that may be nodes'.
func TestManyFlowsNeedNodes(t *testing.T) {
	objs, err := load.Manifests(load.Source{Filenames: []string{"../testdata/three-tier/", "-"}, Stdin: strings.NewReader(nodesPolicy)}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := query.NewSnapshot(objs, query.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	l := &loaded{snap: snap, base: snap}
	if err := l.manyFlows(); err != nil {
		t.Fatalf("with Nodes readable: %v", err)
	}
	snap.MarkUnreadable("nodes", "", errors.New("forbidden"))
	if err := l.manyFlows(); err == nil || !strings.Contains(err.Error(), "nodes could not be read") {
		t.Errorf("with Nodes unreadable: err = %v, want one saying nodes could not be read", err)
	}
}
