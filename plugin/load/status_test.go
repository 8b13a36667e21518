package load

import (
	"strings"
	"testing"
)

func TestEmptyNetworkPolicyStatus(t *testing.T) {
	const policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: prod}\nspec: {podSelector: {}}\n"
	np := func(name, status string) string {
		return strings.Replace(policy, "%s", name, 1) + status
	}
	for _, tc := range []struct {
		name, manifest string
		wantErr        string
		wantWarn       string
	}{
		{
			name:     "an empty status is ignored with a warning",
			manifest: np("a", "status: {}\n"),
			wantWarn: "Warning: STDIN: networkpolicy prod/a: ignoring the empty status (NetworkPolicy has none since Kubernetes 1.28; kubectl 1.24 to 1.27 exported an empty one)\n",
		},
		{
			name:     "a status of empty conditions is ignored",
			manifest: np("a", "status: {conditions: []}\n"),
			wantWarn: "Warning: STDIN: networkpolicy prod/a: ignoring the empty status",
		},
		{
			name:     "a null status is ignored",
			manifest: np("a", "status:\n"),
			wantWarn: "Warning: STDIN: networkpolicy prod/a: ignoring the empty status",
		},
		{
			name:     "the empty statuses of many policies are told once",
			manifest: np("a", "status: {}\n") + "---\n" + np("b", "status: {}\n") + "---\n" + `{"kind":"NetworkPolicyList","apiVersion":"networking.k8s.io/v1","items":[{"metadata":{"name":"c","namespace":"prod"},"spec":{"podSelector":{}},"status":{}}]}`,
			wantWarn: "Warning: STDIN: networkpolicy prod/a and 2 more: ignoring the empty status (NetworkPolicy has none since Kubernetes 1.28; kubectl 1.24 to 1.27 exported an empty one)\n",
		},
		{
			name:     "a status with conditions is an error",
			manifest: np("a", "status: {conditions: [{type: PolicyPartialFailure, status: 'True'}]}\n"),
			wantErr:  `STDIN: networkpolicy prod/a: strict decoding error: unknown field "status" (NetworkPolicy has no status since Kubernetes 1.28; only an empty one is ignored)`,
		},
		{
			name:     "an unknown field beside an empty status is still an error",
			manifest: np("a", "status: {}\nfoo: {}\n"),
			wantErr:  `STDIN: networkpolicy prod/a: strict decoding error: unknown field "foo"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := readString(t, tc.manifest)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(warnings, tc.wantWarn) || strings.Count(warnings, "empty status") != 1 {
				t.Errorf("warnings %q, want %q once", warnings, tc.wantWarn)
			}
		})
	}
}
