package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tasker-systems/tasker-temporal/devserver"
	icluster "github.com/tasker-systems/tasker-temporal/internal/cluster"
	iconfig "github.com/tasker-systems/tasker-temporal/internal/config"
)

func initCommand() *cobra.Command {
	var topoFile string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Register the topology's namespace with Tasker's search attributes, and wait until history accepts workflows",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			topo, err := icluster.ReadTopology(topoFile)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return initNamespace(ctx, topo)
		},
	}
	cmd.Flags().StringVar(&topoFile, "topology", "", "the topology file (JSON, written by internal/cluster)")
	cmd.Flags().DurationVar(&timeout, "timeout", 90*time.Second, "how long to keep trying")
	_ = cmd.MarkFlagRequired("topology")
	return cmd
}

// clientTLS is how our own processes dial the topology's frontend.
func clientTLS(topo *icluster.Topology) iconfig.Temporal {
	t := iconfig.Temporal{Namespace: topo.Namespace}
	if topo.TLS != nil {
		t.TLSCA = topo.TLS.CA
		if topo.TLS.RequireClientCert {
			t.TLSCert, t.TLSKey = topo.TLS.ClientCert, topo.TLS.ClientKey
		}
	}
	return t
}

func initNamespace(ctx context.Context, topo *icluster.Topology) error {
	opts, err := clientTLS(topo).ClientOptions(topo.FrontendAddress(), zap.NewNop())
	if err != nil {
		return err
	}
	c, err := dialRetry(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := retry(ctx, "register namespace "+topo.Namespace, func() error { return register(ctx, c, topo.Namespace) }); err != nil {
		return err
	}
	if err := retry(ctx, "add search attributes", func() error { return addSearchAttributes(ctx, c, topo.Namespace) }); err != nil {
		return err
	}
	return retry(ctx, "probe workflow", func() error { return probe(ctx, c) })
}

func dialRetry(ctx context.Context, opts sdkclient.Options) (sdkclient.Client, error) {
	var c sdkclient.Client
	err := retry(ctx, "dial "+opts.HostPort, func() error {
		var err error
		c, err = sdkclient.DialContext(ctx, opts)
		return err
	})
	return c, err
}

func register(ctx context.Context, c sdkclient.Client, namespace string) error {
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if errors.As(err, &exists) {
		return nil
	}
	return err
}

func addSearchAttributes(ctx context.Context, c sdkclient.Client, namespace string) error {
	attrs := map[string]enumspb.IndexedValueType{}
	for name, typ := range devserver.SearchAttributes {
		attrs[name] = typ
	}
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{SearchAttributes: attrs, Namespace: namespace})
	var exists *serviceerror.AlreadyExists
	if errors.As(err, &exists) {
		return nil
	}
	return err
}

// probe starts and terminates a workflow: once that works, history and the namespace caches of
// every service know the namespace.
func probe(ctx context.Context, c sdkclient.Client) error {
	id := fmt.Sprintf("tasker-cluster-probe-%d", time.Now().UnixNano())
	run, err := c.ExecuteWorkflow(ctx, sdkclient.StartWorkflowOptions{ID: id, TaskQueue: "tasker-cluster-probe"}, "TaskerClusterProbe")
	if err != nil {
		return err
	}
	return c.TerminateWorkflow(ctx, id, run.GetRunID(), "cluster start-up probe")
}

func retry(ctx context.Context, what string, f func() error) error {
	var last error
	for {
		if last = f(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (gave up: %v)", what, last, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
