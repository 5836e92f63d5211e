package client

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	sdkclient "go.temporal.io/sdk/client"
)

// Health reports whether Temporal answers and how many workers poll the orchestration task queue.
type Health struct {
	TaskQueue string `json:"task_queue"`
	// Pollers is the number of workers polling TaskQueue for workflow tasks.
	Pollers int `json:"pollers"`
}

// CheckHealth asks Temporal whether it serves calls, then how many workers poll the orchestration
// task queue. An error means Temporal is unreachable; Pollers 0 means no worker runs tasks.
func (c *Client) CheckHealth(ctx context.Context) (Health, error) {
	h := Health{TaskQueue: c.opts.TaskQueue}
	if _, err := c.tc.CheckHealth(ctx, &sdkclient.CheckHealthRequest{}); err != nil {
		return h, fmt.Errorf("temporal health check: %w", err)
	}
	resp, err := c.tc.DescribeTaskQueue(ctx, c.opts.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return h, fmt.Errorf("describe task queue %s: %w", c.opts.TaskQueue, err)
	}
	h.Pollers = len(resp.GetPollers())
	return h, nil
}

// TaskQueue is the orchestration task queue this client starts tasks on.
func (c *Client) TaskQueue() string { return c.opts.TaskQueue }
