// Package client is the Go API for services and operators: start a Tasker task, read its state,
// wait for it, list tasks, cancel one, retry or resolve a step.
//
// It wraps a Temporal client. It owns request identity (the workflow ID derived from a request)
// and the translation of workflow updates and queries into plain Go calls; it must not run
// workflow or step logic itself.
package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/template"
	"github.com/tasker-systems/tasker-temporal/workflows"
)

// Options configure a Client.
type Options struct {
	// TaskQueue is the orchestration task queue; default tasker.OrchestrationTaskQueue.
	TaskQueue string
	// Templates, when set, lets StartTask refuse an unknown template or an invalid context before
	// any workflow starts. Without it the workflow itself refuses them (and fails at once).
	Templates template.Templates
	// Now is the clock for RequestedAt; nil = time.Now.
	Now func() time.Time
}

// Client starts and manages Tasker tasks.
type Client struct {
	tc   sdkclient.Client
	opts Options
}

// New wraps a connected Temporal client.
func New(tc sdkclient.Client, opts Options) *Client {
	if opts.TaskQueue == "" {
		opts.TaskQueue = tasker.OrchestrationTaskQueue
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Client{tc: tc, opts: opts}
}

// Temporal returns the underlying Temporal client.
func (c *Client) Temporal() sdkclient.Client { return c.tc }

// StartOptions adjust one StartTask call.
type StartOptions struct {
	// WorkflowID overrides the ID derived from the request's identity.
	WorkflowID string
}

// Task is a handle on a started task.
type Task struct {
	WorkflowID string
	RunID      string
	// Existing is true when an identical request (or the same WorkflowID) had started this task.
	Existing bool
}

// StartTask starts a task for req, or returns the task an identical request started (same
// namespace, name, version, context, initiator, source system, reason and bypass steps, within the
// same minute of requested_at: Tasker's identity hash).
func (c *Client) StartTask(ctx context.Context, req tasker.TaskRequest, opts StartOptions) (Task, error) {
	if req.RequestedAt.IsZero() {
		req.RequestedAt = c.opts.Now().UTC()
	}
	if req.Context == nil {
		req.Context = json.RawMessage("{}")
	}
	if err := req.Validate(); err != nil {
		field := ""
		if fe := (*tasker.FieldError)(nil); errors.As(err, &fe) {
			field = strings.SplitN(fe.Field, ".", 2)[0] // context.a.b → context
		}
		return Task{}, &InvalidRequestError{Field: field, Err: fmt.Errorf("task request %s/%s: %w", req.Namespace, req.Name, err)}
	}
	if c.opts.Templates != nil {
		tmpl, err := template.ResolveRequest(c.opts.Templates, req)
		if err != nil {
			return Task{}, resolveError(req, err)
		}
		req.Version = tmpl.Version // pin "latest" at start
	}
	id := opts.WorkflowID
	if id == "" {
		var err error
		if id, err = WorkflowID(req); err != nil {
			return Task{}, err
		}
	}
	// Update-With-Start: the start and the worker's verdict (template found, request valid) in one
	// round trip, so a caller never hears "started" for a task the worker refuses.
	startOp := c.tc.NewWithStartWorkflowOperation(sdkclient.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                c.opts.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		StaticSummary:            fmt.Sprintf("%s/%s", req.Namespace, req.Name),
	}, tasker.WorkflowType, workflows.TaskInput{TaskRequest: req})
	handle, err := c.tc.UpdateWithStartWorkflow(ctx, sdkclient.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: sdkclient.UpdateWorkflowOptions{
			UpdateName:   workflows.UpdateStarted,
			WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
		},
	})
	// An identical request that already started a task (running or closed) returns it.
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return Task{WorkflowID: id, RunID: started.RunId, Existing: true}, nil
	}
	if err != nil {
		return Task{}, fmt.Errorf("start task %s/%s: %w", req.Namespace, req.Name, err)
	}
	var st workflows.StartedTask
	if err := handle.Get(ctx, &st); err != nil {
		return Task{}, resolveError(req, err) // the worker's verdict, typed like a local one
	}
	return Task{WorkflowID: id, RunID: handle.RunID()}, nil
}

// WorkflowID derives a task's workflow ID from the identity of its request:
// tasker/<namespace>/<name>/<sha256 of the identity fields, hex>.
func WorkflowID(req tasker.TaskRequest) (string, error) {
	ctxJSON, err := canonicalJSON(req.Context)
	if err != nil {
		return "", fmt.Errorf("task %s/%s: context is not JSON: %w", req.Namespace, req.Name, err)
	}
	identity := struct {
		Namespace    string          `json:"namespace"`
		Name         string          `json:"name"`
		Version      string          `json:"version"`
		Context      json.RawMessage `json:"context"`
		Initiator    string          `json:"initiator"`
		SourceSystem string          `json:"source_system"`
		Reason       string          `json:"reason"`
		BypassSteps  []string        `json:"bypass_steps"`
		RequestedAt  string          `json:"requested_at"`
	}{req.Namespace, req.Name, req.Version, ctxJSON, req.Initiator, req.SourceSystem, req.Reason, req.BypassSteps,
		req.RequestedAt.UTC().Truncate(time.Minute).Format(time.RFC3339)}
	b, err := json.Marshal(identity)
	if err != nil {
		return "", fmt.Errorf("task %s/%s: identity: %w", req.Namespace, req.Name, err)
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("tasker/%s/%s/%s", req.Namespace, req.Name, hex.EncodeToString(sum[:16])), nil
}

// canonicalJSON re-encodes JSON with sorted object keys, so equal contexts hash equally.
func canonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage("{}"), nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// GetTask returns the task's current state: from the running workflow's dag query, or from its
// result once closed.
func (c *Client) GetTask(ctx context.Context, workflowID string) (tasker.TaskResult, error) {
	desc, err := c.tc.DescribeWorkflowExecution(ctx, workflowID, "")
	if isNotFound(err) {
		return tasker.TaskResult{}, taskNotFound(workflowID)
	}
	if err != nil {
		return tasker.TaskResult{}, fmt.Errorf("task %s: describe: %w", workflowID, err)
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return c.query(ctx, workflowID)
	}
	return c.WaitTask(ctx, workflowID)
}

func (c *Client) query(ctx context.Context, workflowID string) (tasker.TaskResult, error) {
	val, err := c.tc.QueryWorkflow(ctx, workflowID, "", workflows.QueryDAG)
	if err != nil {
		return tasker.TaskResult{}, fmt.Errorf("task %s: query %s: %w", workflowID, workflows.QueryDAG, err)
	}
	var res tasker.TaskResult
	if err := val.Get(&res); err != nil {
		return res, fmt.Errorf("task %s: decode %s: %w", workflowID, workflows.QueryDAG, err)
	}
	return res, nil
}

// WaitTask waits for the task to close and returns its final state. A task that ended in error or
// was cancelled returns its TaskResult and no error: the state says how it ended.
func (c *Client) WaitTask(ctx context.Context, workflowID string) (tasker.TaskResult, error) {
	var res tasker.TaskResult
	err := c.tc.GetWorkflow(ctx, workflowID, "").Get(ctx, &res)
	if err == nil {
		return res, nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(&res) == nil && res.WorkflowID != "" {
		return res, nil
	}
	if isNotFound(err) {
		return res, taskNotFound(workflowID)
	}
	return res, fmt.Errorf("task %s: %w", workflowID, err)
}

// RetryStep moves an errored step back to pending with extraAttempts more attempts (at least 1).
func (c *Client) RetryStep(ctx context.Context, workflowID, step string, extraAttempts int) error {
	return c.update(ctx, workflowID, workflows.UpdateRetryStep, workflows.RetryStepRequest{Step: step, ExtraAttempts: extraAttempts})
}

// ResolveStep marks a pending or errored step resolved_manually with the given results.
func (c *Client) ResolveStep(ctx context.Context, workflowID, step string, results json.RawMessage, reason string) error {
	return c.update(ctx, workflowID, workflows.UpdateResolve, workflows.ResolveStepRequest{Step: step, Results: results, Reason: reason})
}

// CancelTask cancels the task: running steps are cancelled, open steps and the task move to
// cancelled.
func (c *Client) CancelTask(ctx context.Context, workflowID, reason string) error {
	return c.update(ctx, workflowID, workflows.UpdateCancelTask, workflows.CancelTaskRequest{Reason: reason})
}

// update runs a workflow update and returns its refusal as this package's errors: a task that
// does not exist, a closed task, an unknown step, a state the operation does not apply to.
func (c *Client) update(ctx context.Context, workflowID, name string, arg any) error {
	handle, err := c.tc.UpdateWorkflow(ctx, sdkclient.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: sdkclient.WorkflowUpdateStageCompleted,
	})
	if isNotFound(err) {
		return c.closedOrMissing(ctx, workflowID)
	}
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err != nil {
		return updateError(workflowID, name, err)
	}
	return nil
}

// closedOrMissing tells a closed task (Temporal refuses updates on it as NotFound) from one that
// does not exist.
func (c *Client) closedOrMissing(ctx context.Context, workflowID string) error {
	desc, err := c.tc.DescribeWorkflowExecution(ctx, workflowID, "")
	if isNotFound(err) {
		return taskNotFound(workflowID)
	}
	if err != nil {
		return fmt.Errorf("task %s: describe: %w", workflowID, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	state := summarize(info).Status
	if state == "" || state == tasker.StateInProgress || state == tasker.StatePending {
		state = closedWorkflowState(info.GetStatus())
	}
	return &TaskClosedError{WorkflowID: workflowID, State: state}
}

// closedWorkflowState is the task state of a closed workflow whose TaskerStatus is missing or
// stale (e.g. one terminated from the Temporal UI).
func closedWorkflowState(st enumspb.WorkflowExecutionStatus) string {
	switch st {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return tasker.StateComplete
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return tasker.StateCancelled
	}
	return tasker.StateError
}

// ListFilter narrows ListTasks and ListPage. Empty fields match everything.
type ListFilter struct {
	Namespace string
	Name      string
	Version   string
	Status    string
	// Query is a raw visibility query ANDed with the fields above.
	Query string
	// Limit caps the tasks returned; default 100.
	Limit int
	// Cursor continues a ListPage where the page that returned it as NextCursor ended.
	Cursor string
}

// TaskSummary is one row of ListTasks.
type TaskSummary struct {
	WorkflowID string    `json:"workflow_id"`
	RunID      string    `json:"run_id"`
	TaskID     int64     `json:"task_id,omitempty"`
	Namespace  string    `json:"namespace"`
	Name       string    `json:"name"`
	Version    string    `json:"version"`
	Status     string    `json:"status"`
	Workflow   string    `json:"workflow_status"`
	StartedAt  time.Time `json:"started_at"`
}

// TaskPage is one page of ListPage.
type TaskPage struct {
	Tasks []TaskSummary `json:"tasks"`
	// NextCursor is the opaque cursor of the next page (Temporal's page token, base64); empty on
	// the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// ListTasks lists tasks through a visibility query on the Tasker search attributes, newest first,
// up to f.Limit of them (following Temporal's pages), starting at f.Cursor.
func (c *Client) ListTasks(ctx context.Context, f ListFilter) ([]TaskSummary, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []TaskSummary
	for len(out) < limit {
		f.Limit = limit - len(out)
		page, err := c.ListPage(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Tasks...)
		if f.Cursor = page.NextCursor; f.Cursor == "" {
			break
		}
	}
	return out, nil
}

// ListPage returns one page of at most f.Limit tasks (default 100, at most 1,000), newest first,
// and the cursor of the next page.
func (c *Client) ListPage(ctx context.Context, f ListFilter) (TaskPage, error) {
	token, err := decodeCursor(f.Cursor)
	if err != nil {
		return TaskPage{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	query := listQuery(f)
	resp, err := c.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: query, PageSize: int32(min(limit, 1000)), NextPageToken: token,
	})
	var badArg *serviceerror.InvalidArgument
	if errors.As(err, &badArg) && f.Cursor != "" {
		return TaskPage{}, &InvalidCursorError{Cursor: f.Cursor, Err: err}
	}
	if err != nil {
		return TaskPage{}, fmt.Errorf("list tasks (%s): %w", query, err)
	}
	page := TaskPage{Tasks: make([]TaskSummary, 0, len(resp.GetExecutions()))}
	for _, e := range resp.GetExecutions() {
		page.Tasks = append(page.Tasks, summarize(e))
	}
	if next := resp.GetNextPageToken(); len(next) > 0 {
		page.NextCursor = base64.RawURLEncoding.EncodeToString(next)
	}
	return page, nil
}

// Details returns the task's live DAG as the workflow shows it in the Temporal UI: a markdown
// table of steps and a Mermaid flowchart.
func (c *Client) Details(ctx context.Context, workflowID string) (string, error) {
	val, err := c.tc.QueryWorkflow(ctx, workflowID, "", queryWorkflowMetadata)
	if isNotFound(err) {
		return "", taskNotFound(workflowID)
	}
	if err != nil {
		return "", fmt.Errorf("task %s: read details: %w", workflowID, err)
	}
	var meta sdkpb.WorkflowMetadata
	if err := val.Get(&meta); err != nil {
		return "", fmt.Errorf("task %s: decode details: %w", workflowID, err)
	}
	return meta.GetCurrentDetails(), nil
}

// Mermaid returns the task's DAG as a Mermaid flowchart (the workflow's mermaid query): steps
// labelled with their states, one edge per dependency.
func (c *Client) Mermaid(ctx context.Context, workflowID string) (string, error) {
	val, err := c.tc.QueryWorkflow(ctx, workflowID, "", workflows.QueryMermaid)
	if isNotFound(err) {
		return "", taskNotFound(workflowID)
	}
	if err != nil {
		return "", fmt.Errorf("task %s: query %s: %w", workflowID, workflows.QueryMermaid, err)
	}
	var m string
	if err := val.Get(&m); err != nil {
		return "", fmt.Errorf("task %s: decode %s: %w", workflowID, workflows.QueryMermaid, err)
	}
	return m, nil
}

// queryWorkflowMetadata is the SDK's built-in query for a workflow's metadata (current details).
const queryWorkflowMetadata = "__temporal_workflow_metadata"
