package main

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	policyv1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	ipcacheTypes "github.com/cilium/cilium/pkg/ipcache/types"
	"github.com/cilium/cilium/pkg/k8s"
	cilium_v2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2/validator"
	slim_networkingv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/api/networking/v1"
	"github.com/cilium/cilium/pkg/k8s/types"
	policytypes "github.com/cilium/cilium/pkg/policy/types"
	policyutils "github.com/cilium/cilium/pkg/policy/utils"
)

// The kinds a scenario's policies may have.
const (
	kindNP    = "NetworkPolicy"
	kindCNP   = "CiliumNetworkPolicy"
	kindCCNP  = "CiliumClusterwideNetworkPolicy"
	kindCCG   = "CiliumCIDRGroup"
	kindKCNP  = "ClusterNetworkPolicy"
	ciliumV2  = "cilium.io/v2"
	netV1     = "networking.k8s.io/v1"
	kcnpGroup = "policy.networking.k8s.io/v1alpha2"
)

// head is what every object says of itself.
type head struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// parsed is one input object read: its result so far and, for a policy
// the agent accepts, its entries and the resource it is filed under.
type parsed struct {
	result   PolicyResult
	entries  policytypes.PolicyEntries
	resource ipcacheTypes.ResourceID
	group    *cilium_v2.CiliumCIDRGroup
}

// decode reads raw as the API machinery does: case-sensitive field names.
func decode(raw json.RawMessage, into any) error {
	return utiljson.Unmarshal(raw, into)
}

// parsePolicy runs one object through the path the agent takes for its
// kind, up to the entries it hands the policy importer
// (pkg/policy/k8s: addK8sNetworkPolicyV1, upsertCiliumNetworkPolicyV2,
// addK8sClusterNetworkPolicy). An object the agent rejects has Error set
// and no entries. Input errors (not JSON, no kind) are errors.
func parsePolicy(logger *slog.Logger, v *validator.NPValidator, clusterName string, raw json.RawMessage) (*parsed, error) {
	var h head
	if err := decode(raw, &h); err != nil {
		return nil, fmt.Errorf("policy is not a JSON object: %w", err)
	}
	out := &parsed{result: PolicyResult{Kind: h.Kind, Namespace: h.Metadata.Namespace, Name: h.Metadata.Name}}
	fail := func(err error) (*parsed, error) {
		out.result.Error = err.Error()
		out.entries = nil
		return out, nil
	}
	want := map[string]string{kindNP: netV1, kindCNP: ciliumV2, kindCCNP: ciliumV2, kindCCG: ciliumV2, kindKCNP: kcnpGroup}[h.Kind]
	switch {
	case want == "":
		return nil, fmt.Errorf("policy %s/%s: kind %q is not one of %s, %s, %s, %s, %s", h.Metadata.Namespace, h.Metadata.Name, h.Kind, kindNP, kindCNP, kindCCNP, kindCCG, kindKCNP)
	case h.APIVersion != want:
		return nil, fmt.Errorf("%s %s/%s: apiVersion %q, want %q", h.Kind, h.Metadata.Namespace, h.Metadata.Name, h.APIVersion, want)
	case h.Metadata.Name == "":
		return nil, fmt.Errorf("%s without metadata.name", h.Kind)
	}
	namespaced := h.Kind == kindNP || h.Kind == kindCNP
	if namespaced != (h.Metadata.Namespace != "") {
		return nil, fmt.Errorf("%s %s/%s: metadata.namespace must be set exactly for the namespaced kinds", h.Kind, h.Metadata.Namespace, h.Metadata.Name)
	}

	switch h.Kind {
	case kindNP:
		var np slim_networkingv1.NetworkPolicy
		if err := decode(raw, &np); err != nil {
			return fail(fmt.Errorf("decode: %w", err))
		}
		entries, err := k8s.ParseNetworkPolicy(logger, clusterName, &np)
		if err != nil {
			return fail(err)
		}
		out.entries = entries
		out.resource = ipcacheTypes.NewResourceID(ipcacheTypes.ResourceKindNetpol, np.Namespace, np.Name)

	case kindCNP, kindCCNP:
		var u unstructured.Unstructured
		if err := decode(raw, &u.Object); err != nil {
			return fail(fmt.Errorf("decode: %w", err))
		}
		verr := v.ValidateCNP
		if h.Kind == kindCCNP {
			verr = v.ValidateCCNP
		}
		if err := verr(&u); err != nil {
			out.result.SchemaError = err.Error()
		}
		// The agent's informers turn both kinds into a SlimCNP
		// (k8s.TransformToCNP, TransformToCCNP); the watcher parses a
		// deep copy (resolveCiliumNetworkPolicyRefs).
		var cnp *cilium_v2.CiliumNetworkPolicy
		if h.Kind == kindCNP {
			cnp = new(cilium_v2.CiliumNetworkPolicy)
			if err := decode(raw, cnp); err != nil {
				return fail(fmt.Errorf("decode: %w", err))
			}
		} else {
			var ccnp cilium_v2.CiliumClusterwideNetworkPolicy
			if err := decode(raw, &ccnp); err != nil {
				return fail(fmt.Errorf("decode: %w", err))
			}
			cnp = &cilium_v2.CiliumNetworkPolicy{TypeMeta: ccnp.TypeMeta, ObjectMeta: ccnp.ObjectMeta, Spec: ccnp.Spec, Specs: ccnp.Specs}
		}
		slim := &types.SlimCNP{CiliumNetworkPolicy: &cilium_v2.CiliumNetworkPolicy{
			TypeMeta: cnp.TypeMeta, ObjectMeta: cnp.ObjectMeta, Spec: cnp.Spec, Specs: cnp.Specs,
		}}
		translated := slim.DeepCopy()
		rules, err := translated.Parse(logger, clusterName)
		if err != nil {
			return fail(err)
		}
		out.entries = policyutils.RulesToPolicyEntries(rules)
		kind := ipcacheTypes.ResourceKindCNP
		if h.Kind == kindCCNP {
			kind = ipcacheTypes.ResourceKindCCNP
		}
		out.resource = ipcacheTypes.NewResourceID(kind, cnp.Namespace, cnp.Name)

	case kindKCNP:
		var kcnp policyv1alpha2.ClusterNetworkPolicy
		if err := decode(raw, &kcnp); err != nil {
			return fail(fmt.Errorf("decode: %w", err))
		}
		entries, err := k8s.ParseClusterNetworkPolicy(logger, clusterName, &kcnp)
		if err != nil {
			return fail(err)
		}
		out.entries = entries
		out.resource = ipcacheTypes.NewResourceID(ipcacheTypes.ResourceKindKCNP, kcnp.Namespace, kcnp.Name)

	case kindCCG:
		var g cilium_v2.CiliumCIDRGroup
		if err := decode(raw, &g); err != nil {
			return fail(fmt.Errorf("decode: %w", err))
		}
		out.group = &g
	}
	out.result.Rules = len(out.entries)
	return out, nil
}
