package main

import (
	"fmt"
	"log/slog"
	"math"
	"strings"

	cmtypes "github.com/cilium/cilium/pkg/clustermesh/types"
	"github.com/cilium/cilium/pkg/endpoint/regeneration"
	"github.com/cilium/cilium/pkg/identity"
	"github.com/cilium/cilium/pkg/identity/identitymanager"
	cilium_v2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2/validator"
	"github.com/cilium/cilium/pkg/policy"
	testidentity "github.com/cilium/cilium/pkg/testutils/identity"
	testpolicy "github.com/cilium/cilium/pkg/testutils/policy"
	ciliumTypes "github.com/cilium/cilium/pkg/types"
	"github.com/cilium/cilium/pkg/u8proto"
)

// oracle is one scenario loaded into a policy repository.
type oracle struct {
	logger *slog.Logger
	repo   *policy.Repository
	idmgr  identitymanager.IDManager
	ids    *identities
	// epps caches the distilled policy of each subject identity.
	epps map[identity.NumericIdentity]*policy.EndpointPolicy
}

// load builds the scenario's repository the way the agent fills its own:
// identities in the selector cache, local endpoints' identities in the
// subject selector cache (through the identity manager), the named ports
// of every pod by identity (the ipcache's named-port map), and every
// accepted policy replaced by resource as the policy importer does.
func load(logger *slog.Logger, v *validator.NPValidator, sc *Scenario) (*oracle, Result, error) {
	res := Result{Identities: []IdentityResult{}, Policies: []PolicyResult{}, Flows: []FlowResult{}}
	clusterName, err := configure(logger, sc)
	if err != nil {
		return nil, res, err
	}
	policyCluster := cmtypes.LocalClusterNameForPolicies(cmtypes.DefaultPolicyConfig, clusterName)

	var ps []*parsed
	var groups []*cilium_v2.CiliumCIDRGroup
	for _, raw := range sc.Policies {
		p, err := parsePolicy(logger, v, policyCluster, raw)
		if err != nil {
			return nil, res, err
		}
		if p.group != nil {
			groups = append(groups, p.group)
		}
		ps = append(ps, p)
		res.Policies = append(res.Policies, p.result)
	}

	ids, err := makeIdentities(logger, sc, groups)
	if err != nil {
		return nil, res, err
	}
	res.Identities = append(res.Identities, ids.result...)

	// As testNewPolicyRepository in pkg/k8s/network_policy_test.go.
	idmgr := identitymanager.NewIDManager(logger)
	repo := policy.NewPolicyRepository(logger, ids.all, nil, nil, idmgr, testpolicy.NewPolicyMetricsNoop())
	repo.GetSelectorCache().SetLocalIdentityNotifier(testidentity.NewDummyIdentityNotifier())
	idmgr.Subscribe(testpolicy.SelectorCacheObserver{Cache: repo.GetSubjectSelectorCache()})
	for _, id := range ids.local {
		idmgr.Add(id)
	}
	npm := ciliumTypes.NewNamedPortMultiMap()
	for _, e := range ids.byName {
		if e.enforced {
			npm.Update(e.id.ID, nil, e.namedPorts)
		}
	}
	repo.SetNamedPortsGetter(namedPortsGetter{npm})

	for _, p := range ps {
		if p.entries != nil {
			repo.ReplaceByResource(p.entries, p.resource)
		}
	}
	return &oracle{logger: logger, repo: repo, idmgr: idmgr, ids: ids, epps: map[identity.NumericIdentity]*policy.EndpointPolicy{}}, res, nil
}

// Run answers one scenario.
func Run(logger *slog.Logger, v *validator.NPValidator, sc *Scenario) (Result, error) {
	o, res, err := load(logger, v, sc)
	if err != nil {
		return res, err
	}
	for _, f := range sc.Flows {
		fr, err := o.judge(f)
		if err != nil {
			return res, err
		}
		res.Flows = append(res.Flows, fr)
	}
	return res, nil
}

// namedPortsGetter hands the repository the named ports of all pods, as
// the ipcache does (IPCache.GetNamedPorts).
type namedPortsGetter struct{ npm ciliumTypes.NamedPortMultiMap }

func (g namedPortsGetter) GetNamedPorts() ciliumTypes.NamedPortMultiMap { return g.npm }

// judge looks up both halves of a flow in the policy maps of its ends.
func (o *oracle) judge(f Flow) (FlowResult, error) {
	out := FlowResult{Flow: f}
	src, ok := o.ids.byName[f.From]
	if !ok {
		return out, fmt.Errorf("flow %s -> %s: unknown source %q", f.From, f.To, f.From)
	}
	dst, ok := o.ids.byName[f.To]
	if !ok {
		return out, fmt.Errorf("flow %s -> %s: unknown destination %q", f.From, f.To, f.To)
	}
	proto, err := flowProtocol(f.Protocol)
	if err != nil {
		return out, fmt.Errorf("flow %s -> %s: %w", f.From, f.To, err)
	}
	if f.Port == 0 {
		return out, fmt.Errorf("flow %s -> %s: port must be 1-65535", f.From, f.To)
	}
	out.Egress, out.EgressBy, err = o.half(src, o.ids.peerIdentity(dst, src), false, proto, f.Port)
	if err != nil {
		return out, err
	}
	out.Ingress, out.IngressBy, err = o.half(dst, o.ids.peerIdentity(src, dst), true, proto, f.Port)
	if err != nil {
		return out, err
	}
	out.Allowed = out.Egress != Denied && out.Ingress != Denied
	return out, nil
}

// flowProtocol reads TCP, UDP or SCTP.
func flowProtocol(s string) (u8proto.U8proto, error) {
	switch strings.ToUpper(s) {
	case "TCP":
		return u8proto.TCP, nil
	case "UDP":
		return u8proto.UDP, nil
	case "SCTP":
		return u8proto.SCTP, nil
	}
	return 0, fmt.Errorf("protocol %q is not TCP, UDP or SCTP", s)
}

// half is the verdict of subject's policy map on a packet to (egress) or
// from (ingress) peer, as policy.LookupFlow computes it: the entry the
// datapath's lookup finds, deny when none.
func (o *oracle) half(subject *endpoint, peer *identity.Identity, ingress bool, proto u8proto.U8proto, port uint16) (string, string, error) {
	if !subject.enforced {
		return Unenforced, "", nil
	}
	epp, err := o.endpointPolicy(subject)
	if err != nil {
		return "", "", err
	}
	key := policy.EgressKey()
	if ingress {
		key = policy.IngressKey()
	}
	entry, meta, _ := epp.Lookup(key.WithIdentity(peer.ID).WithPortProto(proto, port))
	by := string(meta.LabelArrayListString())
	if by == "[]" {
		by = "" // no rule: the default deny
	}
	if entry.IsDeny() {
		return Denied, by, nil
	}
	return Allowed, by, nil
}

// endpointPolicy is the subject's policy map, computed once per identity
// as LookupFlow computes it for each flow (ComputeSelectorPolicy,
// DistillPolicy with the fallback redirect), with a policy owner that
// resolves ingress named ports the way the agent's endpoint does.
func (o *oracle) endpointPolicy(e *endpoint) (*policy.EndpointPolicy, error) {
	if epp, ok := o.epps[e.id.ID]; ok {
		return epp, nil
	}
	sp, _, err := o.repo.ComputeSelectorPolicy(e.id)
	if err != nil {
		return nil, fmt.Errorf("policy of %s (identity %d): %w", e.name, e.id.ID, err)
	}
	epp := sp.DistillPolicy(o.logger, &owner{id: e.id.ID, ports: e.namedPorts}, map[string]uint16{policy.FallbackRedirectID: math.MaxUint16})
	if err := epp.Ready(); err != nil {
		return nil, fmt.Errorf("policy of %s (identity %d): %w", e.name, e.id.ID, err)
	}
	epp.Detach(o.logger)
	sp.Supersede()
	o.epps[e.id.ID] = epp
	return epp, nil
}

// owner is the policy owner of a pod's endpoint. LookupFlow's own owner
// resolves ingress named ports from per-protocol maps of TCP and UDP
// only; the agent's endpoint (Endpoint.GetIngressNamedPort in
// pkg/endpoint/policy.go) asks the pod's NamedPortMap, which has SCTP
// too. This owner does what the endpoint does.
type owner struct {
	id    identity.NumericIdentity
	ports ciliumTypes.NamedPortMap
}

var _ policy.PolicyOwner = (*owner)(nil)

func (o *owner) GetID() uint64 { return uint64(o.id) }

func (o *owner) GetIngressNamedPort(name string, proto u8proto.U8proto) uint16 {
	port, err := o.ports.GetNamedPort(name, proto)
	if err != nil {
		return 0
	}
	return port
}

func (o *owner) PolicyDebug(string, ...any) {}

func (o *owner) IsHost() bool { return false }

func (o *owner) PreviousMapStateSizes() policy.MapStateSizes { return policy.MapStateSizes{} }

func (o *owner) RegenerateIfAlive(*regeneration.ExternalRegenerationMetadata) <-chan bool {
	ch := make(chan bool)
	close(ch)
	return ch
}
