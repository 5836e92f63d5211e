package client

import (
	"encoding/base64"
	"fmt"
	"strings"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"

	"github.com/tasker-systems/tasker-temporal"
)

// listQuery builds the visibility query for a filter.
func listQuery(f ListFilter) string {
	clauses := []string{fmt.Sprintf("WorkflowType = %s", quote(tasker.WorkflowType))}
	add := func(attr, v string) {
		if v != "" {
			clauses = append(clauses, fmt.Sprintf("%s = %s", attr, quote(v)))
		}
	}
	add(tasker.SearchAttrNamespace, f.Namespace)
	add(tasker.SearchAttrTaskName, f.Name)
	add(tasker.SearchAttrVersion, f.Version)
	add(tasker.SearchAttrStatus, f.Status)
	if f.Query != "" {
		clauses = append(clauses, "("+f.Query+")")
	}
	return strings.Join(clauses, " AND ")
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func summarize(e *workflowpb.WorkflowExecutionInfo) TaskSummary {
	s := TaskSummary{
		WorkflowID: e.GetExecution().GetWorkflowId(),
		RunID:      e.GetExecution().GetRunId(),
		Workflow:   strings.ToLower(e.GetStatus().String()),
		StartedAt:  e.GetStartTime().AsTime(),
	}
	fields := e.GetSearchAttributes().GetIndexedFields()
	decode := func(name string, v any) {
		if p, ok := fields[name]; ok {
			_ = converter.GetDefaultDataConverter().FromPayload(p, v)
		}
	}
	decode(tasker.SearchAttrNamespace, &s.Namespace)
	decode(tasker.SearchAttrTaskName, &s.Name)
	decode(tasker.SearchAttrVersion, &s.Version)
	decode(tasker.SearchAttrStatus, &s.Status)
	decode(tasker.SearchAttrTaskID, &s.TaskID)
	return s
}

// decodeCursor reads a ListPage cursor back into Temporal's page token.
func decodeCursor(cursor string) ([]byte, error) {
	if cursor == "" {
		return nil, nil
	}
	token, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, &InvalidCursorError{Cursor: cursor, Err: err}
	}
	return token, nil
}
