package events

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	tasker "github.com/tasker-systems/tasker-temporal"
)

// Event is one lifecycle event. Its JSON form (snake_case keys) is what every sink sends and what
// subscribers in other languages read.
type Event struct {
	// ID is deterministic (see EventID): a replayed publish carries the same ID, so a subscriber
	// de-duplicates by it.
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	At         time.Time      `json:"at"`
	WorkflowID string         `json:"workflow_id"`
	TaskID     int64          `json:"task_id,omitempty"`
	Namespace  string         `json:"namespace,omitempty"`
	TaskName   string         `json:"task_name,omitempty"`
	Version    string         `json:"version,omitempty"`
	Step       string         `json:"step,omitempty"`
	Seq        int64          `json:"seq"`
	Payload    map[string]any `json:"payload,omitempty"`
}

// TaskMeta identifies the task a transition belongs to.
type TaskMeta struct {
	TaskID    int64
	Namespace string
	Name      string
	Version   string
}

// EventID derives an event's ID from the transition that made it: a UUID (version 8, RFC 9562)
// built from SHA-256 of workflow ID, transition Seq and event name, plus the index among the custom
// events of that transition (index < 0 for catalog events). The same inputs always give the same ID.
func EventID(workflowID string, seq int64, name string, index int) string {
	h := sha256.New()
	h.Write([]byte(workflowID))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, seq, 10))
	h.Write([]byte{0})
	h.Write([]byte(name))
	if index >= 0 {
		h.Write([]byte{0})
		h.Write(strconv.AppendInt(nil, int64(index), 10))
	}
	var sum [32]byte
	h.Sum(sum[:0])
	sum[6] = (sum[6] & 0x0f) | 0x80 // version 8
	sum[8] = (sum[8] & 0x3f) | 0x80 // RFC 9562 variant
	var buf [36]byte
	hex.Encode(buf[0:8], sum[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], sum[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], sum[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], sum[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:36], sum[10:16])
	return string(buf[:])
}

// transitionKey is a (from, to) pair; from is "" for an entity's first transition.
type transitionKey struct{ from, to string }

// stepEvents maps a step transition to its events, in publish order, exactly as Tasker's
// StepStateMachine does (the first event), followed by the workflow event that applies.
var stepEvents = map[transitionKey][]string{
	{"", tasker.StatePending}:                           {StepInitializeRequested},
	{"", tasker.StateInProgress}:                        {StepExecutionRequested},
	{tasker.StatePending, tasker.StateInProgress}:       {StepExecutionRequested},
	{tasker.StateInProgress, tasker.StateComplete}:      {StepCompleted, WorkflowStepCompleted},
	{"", tasker.StateComplete}:                          {StepCompleted, WorkflowStepCompleted},
	{tasker.StatePending, tasker.StateError}:            {StepFailed, WorkflowStepFailed},
	{tasker.StateInProgress, tasker.StateError}:         {StepFailed, WorkflowStepFailed},
	{"", tasker.StateError}:                             {StepFailed, WorkflowStepFailed},
	{tasker.StateError, tasker.StatePending}:            {StepRetryRequested},
	{"", tasker.StateCancelled}:                         {StepCancelled},
	{tasker.StatePending, tasker.StateCancelled}:        {StepCancelled},
	{tasker.StateInProgress, tasker.StateCancelled}:     {StepCancelled},
	{"", tasker.StateResolvedManually}:                  {StepResolvedManually},
	{tasker.StatePending, tasker.StateResolvedManually}: {StepResolvedManually},
	{tasker.StateError, tasker.StateResolvedManually}:   {StepResolvedManually},
}

// taskEvents maps a task transition to its events after task.before_transition, which Tasker's
// TaskStateMachine publishes before every task transition.
var taskEvents = map[transitionKey][]string{
	{"", tasker.StatePending}:                             {TaskInitializeRequested},
	{"", tasker.StateInProgress}:                          {TaskStartRequested, WorkflowTaskStarted},
	{tasker.StatePending, tasker.StateInProgress}:         {TaskStartRequested, WorkflowTaskStarted},
	{tasker.StateInProgress, tasker.StatePending}:         {TaskInitializeRequested, WorkflowTaskReenqueueRequested},
	{"", tasker.StateComplete}:                            {TaskCompleted, WorkflowTaskCompleted},
	{tasker.StateInProgress, tasker.StateComplete}:        {TaskCompleted, WorkflowTaskCompleted},
	{"", tasker.StateError}:                               {TaskFailed, WorkflowTaskFailed},
	{tasker.StatePending, tasker.StateError}:              {TaskFailed, WorkflowTaskFailed},
	{tasker.StateInProgress, tasker.StateError}:           {TaskFailed, WorkflowTaskFailed},
	{tasker.StateError, tasker.StatePending}:              {TaskRetryRequested},
	{"", tasker.StateCancelled}:                           {TaskCancelled},
	{tasker.StatePending, tasker.StateCancelled}:          {TaskCancelled},
	{tasker.StateInProgress, tasker.StateCancelled}:       {TaskCancelled},
	{tasker.StateComplete, tasker.StateCancelled}:         {TaskCancelled},
	{tasker.StateResolvedManually, tasker.StateCancelled}: {TaskCancelled},
	{"", tasker.StateResolvedManually}:                    {TaskResolvedManually},
	{tasker.StateError, tasker.StateResolvedManually}:     {TaskResolvedManually},
}

// TransitionEventNames returns the catalog event names a transition of entity (tasker.EntityTask
// or tasker.EntityStep) from → to publishes, in order, without the observability events that
// depend on the transition's data. It returns nil for a transition Tasker does not map.
func TransitionEventNames(entity, from, to string) []string {
	k := transitionKey{from, to}
	switch entity {
	case tasker.EntityStep:
		return append([]string(nil), stepEvents[k]...)
	case tasker.EntityTask:
		names, ok := taskEvents[k]
		if !ok {
			return nil
		}
		return append([]string{TaskBeforeTransition}, names...)
	}
	return nil
}

// FromTransition turns one transition into the lifecycle events Tasker publishes for it, in
// order, with deterministic IDs. Custom events a step handler returned (see CustomEventsKey) follow
// the catalog events of the same transition; invalid custom events are left out (use
// FromTransitionChecked to learn why). A same-state or unmapped transition yields no event.
func FromTransition(t tasker.Transition, task TaskMeta) []Event {
	evs, _ := FromTransitionChecked(t, task)
	return evs
}

// FromTransitionChecked is FromTransition that also reports the custom events it had to leave
// out, naming the step and the event. The events it returns are the same as FromTransition's.
func FromTransitionChecked(t tasker.Transition, task TaskMeta) ([]Event, error) {
	if t.From == t.To {
		return nil, nil
	}
	names := TransitionEventNames(t.Entity, t.From, t.To)
	names = append(names, observabilityNames(t)...)
	customs, cerr := CustomEventsFromMetadata(t.Metadata)
	if cerr != nil {
		cerr = fmt.Errorf("workflow %s seq %d step %q: %w", t.WorkflowID, t.Seq, t.Step, cerr)
	}
	if len(names) == 0 && len(customs) == 0 {
		return nil, cerr
	}
	base := basePayload(t, task)
	out := make([]Event, 0, len(names)+len(customs))
	for _, name := range names {
		p := clonePayload(base)
		addSpecifics(p, name, t, names)
		out = append(out, newEvent(t, task, name, -1, p))
	}
	for _, c := range customs {
		out = append(out, newEvent(t, task, c.Name, c.Index, clonePayload(c.Payload)))
	}
	return out, cerr
}

// observabilityNames adds the observability events a step error implies.
func observabilityNames(t tasker.Transition) []string {
	if t.Entity != tasker.EntityStep || t.To != tasker.StateError {
		return nil
	}
	var out []string
	if maxRetriesReached(t) {
		return append(out, ObservabilityStepMaxRetriesReached)
	}
	if t.BackoffSeconds > 0 {
		out = append(out, ObservabilityStepBackoff)
	}
	return out
}

// maxRetriesReached tells whether a step error is final: the transition metadata says
// retryable=false, or attempt >= max_attempts.
func maxRetriesReached(t tasker.Transition) bool {
	if r, ok := t.Metadata["retryable"].(bool); ok && !r {
		return true
	}
	maxAttempts, ok := toInt(t.Metadata[KeyMaxAttempts])
	return ok && maxAttempts > 0 && int64(t.Attempt) >= maxAttempts
}

func newEvent(t tasker.Transition, task TaskMeta, name string, index int, payload map[string]any) Event {
	return Event{
		ID:         EventID(t.WorkflowID, t.Seq, name, index),
		Name:       name,
		At:         t.At,
		WorkflowID: t.WorkflowID,
		TaskID:     task.TaskID,
		Namespace:  task.Namespace,
		TaskName:   task.Name,
		Version:    task.Version,
		Step:       t.Step,
		Seq:        t.Seq,
		Payload:    payload,
	}
}

// basePayload holds the keys every event of a transition shares, with Tasker's names.
func basePayload(t tasker.Transition, task TaskMeta) map[string]any {
	p := map[string]any{
		KeyTaskID:         task.TaskID,
		KeyWorkflowID:     t.WorkflowID,
		KeyNamespace:      task.Namespace,
		KeyTaskName:       task.Name,
		KeyVersion:        task.Version,
		KeyFromState:      t.From,
		KeyToState:        t.To,
		KeyTransitionedAt: t.At.UTC().Format(time.RFC3339Nano),
	}
	if t.Entity == tasker.EntityStep {
		p[KeyStepName] = t.Step
		if t.Attempt > 0 {
			p[KeyAttemptNumber] = t.Attempt
		}
	}
	if md := metadataWithoutEvents(t.Metadata); len(md) > 0 {
		p[KeyMetadata] = md
		for _, k := range []string{KeyAttemptNumber, KeyExecutionDuration, KeyRetryAttempt, KeyMaxAttempts} {
			if v, ok := md[k]; ok {
				if _, set := p[k]; !set {
					p[k] = v
				}
			}
		}
	}
	return p
}

// addSpecifics adds the keys that only some events of a transition carry.
func addSpecifics(p map[string]any, name string, t tasker.Transition, names []string) {
	switch name {
	case TaskBeforeTransition:
		if len(names) > 1 {
			p[KeyTransitionEvent] = names[1]
		}
	case StepCompleted, WorkflowStepCompleted, StepResolvedManually:
		if len(t.Results) > 0 {
			p[KeyResults] = t.Results
		}
	case StepFailed, WorkflowStepFailed, TaskFailed, WorkflowTaskFailed, ObservabilityStepMaxRetriesReached:
		addError(p, t)
	case ObservabilityStepBackoff:
		p[KeyBackoffSeconds] = t.BackoffSeconds
	}
	if t.To == tasker.StateError && t.BackoffSeconds > 0 && t.Entity == tasker.EntityStep {
		p[KeyBackoffSeconds] = t.BackoffSeconds
	}
}

// addError fills error and error_class from the transition's results ({error, error_class,
// backtrace}) or its metadata's "error".
func addError(p map[string]any, t tasker.Transition) {
	if len(t.Results) > 0 {
		p[KeyResults] = t.Results
		var r struct {
			Error      any    `json:"error"`
			ErrorClass string `json:"error_class"`
		}
		if json.Unmarshal(t.Results, &r) == nil && r.Error != nil {
			p[KeyError] = r.Error
			if r.ErrorClass != "" {
				p[KeyErrorClass] = r.ErrorClass
			}
		}
	}
	if _, ok := p[KeyError]; !ok {
		if e, ok := t.Metadata[KeyError]; ok && e != nil {
			p[KeyError] = e
		} else if t.Entity == tasker.EntityStep {
			p[KeyError] = "unknown error"
		}
	}
}

func metadataWithoutEvents(md map[string]any) map[string]any {
	if len(md) == 0 {
		return nil
	}
	if _, ok := md[CustomEventsKey]; !ok {
		return md
	}
	out := make(map[string]any, len(md)-1)
	for k, v := range md {
		if k != CustomEventsKey {
			out[k] = v
		}
	}
	return out
}

func clonePayload(p map[string]any) map[string]any {
	out := make(map[string]any, len(p)+4)
	for k, v := range p {
		out[k] = v
	}
	return out
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), n == float64(int64(n))
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// CustomEventsKey is the key of StepResult.Metadata (and of the step's transition metadata, where
// the workflow copies it) under which a step handler returns custom events:
//
//	"metadata": {"events": [{"name": "payments.card_charged", "payload": {"amount": 42}}]}
const CustomEventsKey = "events"

// CustomEvent is one event a step handler asks to publish.
type CustomEvent struct {
	Name    string         `json:"name"`
	Payload map[string]any `json:"payload,omitempty"`
	// Index is the event's position in the handler's list (invalid entries included); it goes into
	// the event's ID.
	Index int `json:"-"`
}

// CustomEventsFromMetadata reads the custom events of a step result's metadata (CustomEventsKey).
// It returns the valid ones and an error naming each invalid entry by index; a handler foundation
// calls it to refuse a bad result early, and FromTransition to publish the good ones.
func CustomEventsFromMetadata(md map[string]any) ([]CustomEvent, error) {
	raw, ok := md[CustomEventsKey]
	if !ok || raw == nil {
		return nil, nil
	}
	list, err := asList(raw)
	if err != nil {
		return nil, fmt.Errorf("metadata.%s: %w", CustomEventsKey, err)
	}
	var out []CustomEvent
	var errs []error
	for i, item := range list {
		ce, err := customEvent(item)
		if err != nil {
			errs = append(errs, fmt.Errorf("metadata.%s[%d]: %w", CustomEventsKey, i, err))
			continue
		}
		ce.Index = i
		out = append(out, ce)
	}
	return out, errors.Join(errs...)
}

func asList(raw any) ([]any, error) {
	switch v := raw.(type) {
	case []any:
		return v, nil
	case []map[string]any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = v[i]
		}
		return out, nil
	case []CustomEvent:
		out := make([]any, len(v))
		for i := range v {
			out[i] = v[i]
		}
		return out, nil
	case json.RawMessage:
		var l []any
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, fmt.Errorf("want a JSON list of {name, payload}: %w", err)
		}
		return l, nil
	}
	return nil, fmt.Errorf("want a list of {name, payload}, got %T", raw)
}

func customEvent(item any) (CustomEvent, error) {
	var ce CustomEvent
	switch v := item.(type) {
	case CustomEvent:
		ce = v
	case map[string]any:
		name, ok := v["name"].(string)
		if !ok {
			return ce, fmt.Errorf("field name: want a string, got %T", v["name"])
		}
		ce.Name = name
		if p, ok := v["payload"]; ok && p != nil {
			pm, ok := p.(map[string]any)
			if !ok {
				return ce, fmt.Errorf("event %q: field payload: want an object, got %T", name, p)
			}
			ce.Payload = pm
		}
		for k := range v {
			if k != "name" && k != "payload" {
				return ce, fmt.Errorf("event %q: unknown field %q (want name, payload)", name, k)
			}
		}
	default:
		return ce, fmt.Errorf("want an object {name, payload}, got %T", item)
	}
	if err := ValidateCustomName(ce.Name); err != nil {
		return ce, err
	}
	return ce, nil
}

// NewCustomEvent builds a custom event outside a transition (e.g. from a service), validating
// its name. Its ID is deterministic from workflowID, seq and name, so the caller picks a seq that
// identifies the occurrence (a replay must reuse it).
func NewCustomEvent(name string, at time.Time, workflowID string, seq int64, task TaskMeta, payload map[string]any) (Event, error) {
	if err := ValidateCustomName(name); err != nil {
		return Event{}, err
	}
	t := tasker.Transition{WorkflowID: workflowID, Seq: seq, At: at}
	return newEvent(t, task, name, -1, payload), nil
}
