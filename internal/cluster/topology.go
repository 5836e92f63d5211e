// Package cluster starts the cluster topology that tests and benchmarks run against: the Temporal
// server as separate frontend, history, matching and worker processes (cmd/temporal-node) on a
// throwaway pair of PostgreSQL databases, with several history shards, optional TLS/mTLS on the
// frontend, and any number of cmd/worker and cmd/bridge processes pointed at it.
//
// It owns the topology description (a JSON file every node reads), the child processes and the
// databases' lifetime (created by the nodes' schema tool, dropped by Stop). It must not link the
// Temporal server: cmd/temporal-node does that, so test binaries stay light (DESIGN §5).
package cluster

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
)

// Services are the Temporal services, one process each, in start order.
var Services = []string{"history", "matching", "frontend", "worker"}

// Topology is what every cmd/temporal-node process of one cluster reads (--topology FILE).
type Topology struct {
	IP        string `json:"ip"`
	Namespace string `json:"namespace"`
	// Shards is the number of history shards (fixed for the life of the databases).
	Shards int `json:"shards"`
	// Ports: gRPC port of each service by name, and "frontend-http" for the frontend's HTTP API.
	Ports    map[string]int `json:"ports"`
	Postgres Postgres       `json:"postgres"`
	// TLS, when set, makes the frontend serve TLS (mTLS when RequireClientCert).
	TLS *TLS `json:"tls,omitempty"`
	// DynamicConfig overrides the embedded server's dynamic config (devserver.DynamicConfig).
	DynamicConfig map[string]any `json:"dynamic_config,omitempty"`
}

// Postgres is where the cluster keeps its state: two databases of one server.
type Postgres struct {
	Host       string `json:"host"`
	Port       int    `json:"port"`
	User       string `json:"user"`
	Password   string `json:"password,omitempty"`
	Database   string `json:"database"`
	Visibility string `json:"visibility"`
}

// TLS are the frontend's certificate files (PEM).
type TLS struct {
	CA                string `json:"ca"`          // signs the server and client certificates
	ServerCert        string `json:"server_cert"` // the frontend's certificate (SAN: the IP)
	ServerKey         string `json:"server_key"`
	ClientCert        string `json:"client_cert"` // used by the system worker (and handed to our processes)
	ClientKey         string `json:"client_key"`
	RequireClientCert bool   `json:"require_client_cert"`
}

// Address is host:port of the service's gRPC endpoint.
func (t *Topology) Address(service string) string {
	return net.JoinHostPort(t.IP, strconv.Itoa(t.Ports[service]))
}

// FrontendAddress is what clients dial (TEMPORAL_ADDRESS).
func (t *Topology) FrontendAddress() string { return t.Address("frontend") }

// Validate checks a topology read from a file, naming the field at fault.
func (t *Topology) Validate() error {
	if net.ParseIP(t.IP) == nil {
		return fmt.Errorf("topology: ip %q is not an IP address", t.IP)
	}
	if t.Shards < 1 {
		return fmt.Errorf("topology: shards %d: want at least 1", t.Shards)
	}
	for _, s := range append([]string{"frontend-http"}, Services...) {
		if t.Ports[s] <= 0 {
			return fmt.Errorf("topology: ports.%s is missing", s)
		}
	}
	if t.Postgres.Database == "" || t.Postgres.Visibility == "" {
		return fmt.Errorf("topology: postgres.database and postgres.visibility are required")
	}
	if t.TLS != nil && (t.TLS.ServerCert == "" || t.TLS.ServerKey == "" || t.TLS.CA == "") {
		return fmt.Errorf("topology: tls needs ca, server_cert and server_key")
	}
	return nil
}

// ReadTopology reads and validates a topology file.
func ReadTopology(path string) (*Topology, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read topology: %w", err)
	}
	var t Topology
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("topology %s: %w", path, err)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// Write stores the topology as JSON at path.
func (t *Topology) Write(path string) error {
	raw, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encode topology: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("write topology: %w", err)
	}
	return nil
}
