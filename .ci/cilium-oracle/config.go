package main

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/cilium/cilium/pkg/defaults"
	"github.com/cilium/cilium/pkg/labelsfilter"
	"github.com/cilium/cilium/pkg/option"
	"github.com/cilium/cilium/pkg/policy"
	"github.com/cilium/cilium/pkg/policy/api"
)

var labelFilterOnce sync.Once

// configure sets the agent settings the policy code reads from globals,
// as the agent sets them at start-up, and returns the cluster name.
func configure(logger *slog.Logger, sc *Scenario) (string, error) {
	var err error
	labelFilterOnce.Do(func() {
		// daemon_main.go: no --labels, no --label-prefix-file: the
		// default identity-relevant label prefixes.
		err = labelsfilter.ParseLabelPrefixCfg(logger, nil, nil, "")
	})
	if err != nil {
		return "", fmt.Errorf("label prefixes: %w", err)
	}

	mode := sc.EnablePolicy
	if mode == "" {
		mode = option.DefaultEnforcement
	}
	switch mode {
	case option.DefaultEnforcement, option.AlwaysEnforce, option.NeverEnforce:
	default:
		return "", fmt.Errorf("enablePolicy %q is not one of default, always, never", sc.EnablePolicy)
	}
	policy.SetPolicyEnabled(mode)

	// daemon.go: on Kubernetes, auto becomes always.
	switch sc.AllowLocalhost {
	case "", option.AllowLocalhostAuto, option.AllowLocalhostAlways:
		option.Config.UnsafeDaemonConfigOption.AllowLocalhost = option.AllowLocalhostAlways
	case option.AllowLocalhostPolicy:
		option.Config.UnsafeDaemonConfigOption.AllowLocalhost = option.AllowLocalhostPolicy
	default:
		return "", fmt.Errorf("allowLocalhost %q is not one of auto, always, policy", sc.AllowLocalhost)
	}

	option.Config.EnableIPv4 = orTrue(sc.EnableIPv4)
	option.Config.EnableIPv6 = orTrue(sc.EnableIPv6)
	if !option.Config.EnableIPv4 && !option.Config.EnableIPv6 {
		return "", fmt.Errorf("enableIPv4 and enableIPv6 are both false")
	}

	name := sc.ClusterName
	if name == "" {
		name = defaults.ClusterName
	}
	option.Config.ClusterName = name
	// The cluster entity selects the cluster label of this name.
	api.InitEntities(name)
	return name, nil
}

func orTrue(b *bool) bool { return b == nil || *b }
