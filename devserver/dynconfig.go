package devserver

import "go.temporal.io/server/common/dynamicconfig"

// DynamicConfig is the low-latency dynamic config the embedded server runs with, plus overrides
// by key. The cluster topology (cmd/temporal-node) starts its services with the same values, so
// the two topologies are tuned alike; docs/deploy.md says which of them matter on a real cluster.
func DynamicConfig(overrides map[string]any) dynamicconfig.StaticClient {
	return dynamicConfig(overrides)
}
