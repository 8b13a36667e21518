package load

import "testing"

// np is a NetworkPolicy of the given apiVersion and kind.
func np(apiVersion, kind string) string {
	return "apiVersion: " + apiVersion + "\nkind: " + kind + "\nmetadata: {name: deny, namespace: prod}\nspec: {podSelector: {}}\n"
}

func TestPolicyKindsAreNeverSkipped(t *testing.T) {
	runLoadCases(t, []loadCase{
		{
			name:     "a NetworkPolicy of extensions/v1beta1 is an error giving the served version",
			manifest: np("extensions/v1beta1", "NetworkPolicy"),
			wantErr:  []string{"STDIN: networkpolicy prod/deny: extensions/v1beta1 NetworkPolicy is no longer served (since Kubernetes 1.16): use apiVersion networking.k8s.io/v1"},
		},
		{
			name:     "a NetworkPolicy of networking.k8s.io/v1beta1 is an error giving the served version",
			manifest: np("networking.k8s.io/v1beta1", "NetworkPolicy"),
			wantErr:  []string{"networkpolicy prod/deny: apiVersion networking.k8s.io/v1beta1 does not serve NetworkPolicy: use apiVersion networking.k8s.io/v1"},
		},
		{
			name:     "a NetworkPolicy of the core group is an error",
			manifest: np("v1", "NetworkPolicy"),
			wantErr:  []string{"apiVersion v1 does not serve NetworkPolicy: use apiVersion networking.k8s.io/v1"},
		},
		{
			name:     "a ClusterNetworkPolicy of an unknown version is an error naming both served ones",
			manifest: "apiVersion: policy.networking.k8s.io/v1\nkind: ClusterNetworkPolicy\nmetadata: {name: c}\nspec: {}\n",
			wantErr:  []string{"clusternetworkpolicy c: apiVersion policy.networking.k8s.io/v1 does not serve ClusterNetworkPolicy: use apiVersion policy.networking.k8s.io/v1beta1 or policy.networking.k8s.io/v1alpha2"},
		},
		{
			name:     "kind networkpolicy is an error giving the spelling",
			manifest: np("networking.k8s.io/v1", "networkpolicy"),
			wantErr:  []string{`networkpolicy prod/deny: kind "networkpolicy": did you mean NetworkPolicy?`},
		},
		{
			name:     "kind Networkpolicy is an error giving the spelling",
			manifest: np("networking.k8s.io/v1", "Networkpolicy"),
			wantErr:  []string{`kind "Networkpolicy": did you mean NetworkPolicy?`},
		},
		{
			name:     "kind NetworkPolicies is an error giving the spelling",
			manifest: np("networking.k8s.io/v1", "NetworkPolicies"),
			wantErr:  []string{`kind "NetworkPolicies": did you mean NetworkPolicy?`},
		},
		{
			name:     "kind clusternetworkpolicy is an error giving the spelling",
			manifest: "apiVersion: policy.networking.k8s.io/v1beta1\nkind: clusternetworkpolicy\nmetadata: {name: c}\n",
			wantErr:  []string{`kind "clusternetworkpolicy": did you mean ClusterNetworkPolicy?`},
		},
		{
			name:     "kind pods is an error giving the spelling",
			manifest: "apiVersion: v1\nkind: pods\nmetadata: {name: p}\n",
			wantErr:  []string{`kind "pods": did you mean Pod?`},
		},
		{
			name:     "kind deployment is an error giving the spelling",
			manifest: "apiVersion: apps/v1\nkind: deployment\nmetadata: {name: d}\n",
			wantErr:  []string{`kind "deployment": did you mean Deployment?`},
		},
		{
			name:     "kind podlist is an error giving the spelling",
			manifest: "apiVersion: v1\nkind: podlist\nitems: []\n",
			wantErr:  []string{`kind "podlist": did you mean PodList?`},
		},
		{
			name:     "another project's NetworkPolicy kind is skipped with a warning",
			manifest: np("security.example.com/v1", "NetworkPolicy"),
			wantWarn: []string{"skipping networkpolicy prod/deny: kubectl netpol does not read kind NetworkPolicy.security.example.com"},
		},
	})
}

func TestRemovedWorkloadVersions(t *testing.T) {
	var cases []loadCase
	for _, tc := range []struct{ apiVersion, kind, use, since string }{
		{"apps/v1beta1", "Deployment", "apps/v1", "1.16"},
		{"apps/v1beta1", "StatefulSet", "apps/v1", "1.16"},
		{"apps/v1beta2", "Deployment", "apps/v1", "1.16"},
		{"apps/v1beta2", "DaemonSet", "apps/v1", "1.16"},
		{"apps/v1beta2", "ReplicaSet", "apps/v1", "1.16"},
		{"apps/v1beta2", "StatefulSet", "apps/v1", "1.16"},
		{"extensions/v1beta1", "Deployment", "apps/v1", "1.16"},
		{"extensions/v1beta1", "DaemonSet", "apps/v1", "1.16"},
		{"extensions/v1beta1", "ReplicaSet", "apps/v1", "1.16"},
		{"batch/v1beta1", "CronJob", "batch/v1", "1.25"},
		{"batch/v2alpha1", "CronJob", "batch/v1", "1.21"},
	} {
		cases = append(cases, loadCase{
			name:     tc.apiVersion + " " + tc.kind + " is an error naming the file, the object and " + tc.use,
			manifest: "apiVersion: " + tc.apiVersion + "\nkind: " + tc.kind + "\nmetadata: {name: w, namespace: prod}\nspec: {}\n",
			wantErr:  []string{"STDIN: ", " prod/w: " + tc.apiVersion + " " + tc.kind + " is no longer served (since Kubernetes " + tc.since + "): use apiVersion " + tc.use},
		})
	}
	runLoadCases(t, cases)
}
