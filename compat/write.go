package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	tasker "github.com/tasker-systems/tasker-temporal"
)

// WriteTransitions applies transitions of one task in Seq order, in one transaction, skipping any
// already applied; it returns the highest applied Seq. The batch lands whole or not at all.
// Errors wrapping ErrInvalidBatch, ErrTaskNotFound, ErrInvalidTransition, ErrOtherWorkflow or
// ErrSeqGap are permanent; others (connection loss, ...) are worth retrying with the same batch.
func (s *Store) WriteTransitions(ctx context.Context, taskID int64, ts []tasker.Transition) (int64, error) {
	batch, err := sortedBatch(ts)
	if err != nil {
		return 0, fmt.Errorf("write transitions of task %d: %w: %w", taskID, ErrInvalidBatch, err)
	}
	hasMirror, err := s.mirrorTable(ctx)
	if err != nil {
		return 0, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("write transitions of task %d: acquire connection: %w", taskID, err)
	}
	defer conn.Release()
	applied, err := flush(ctx, conn.Conn(), taskID, batch, hasMirror)
	if err != nil {
		endFailed(ctx, conn)
		return 0, fmt.Errorf("write transitions of task %d: %w", taskID, err)
	}
	return applied, nil
}

// flush runs one flush in two round trips: BEGIN and the reads under the task's advisory lock, then the
// writes and COMMIT (a third only when the applied Seq must be derived).
func flush(ctx context.Context, conn *pgx.Conn, taskID int64, batch []tasker.Transition, hasMirror bool) (int64, error) {
	st, err := loadTaskState(ctx, conn, taskID, batch, hasMirror)
	if err != nil {
		return 0, err
	}
	todo, err := st.unapplied(batch)
	if err != nil {
		return 0, err
	}
	if len(todo) == 0 {
		if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
			return 0, fmt.Errorf("end read-only transaction: %w", err)
		}
		return st.applied, nil
	}
	p, err := st.plan(todo)
	if err != nil {
		return 0, err
	}
	if err := p.write(ctx, conn, st); err != nil {
		return 0, err
	}
	return todo[len(todo)-1].Seq, nil
}

// endFailed rolls back a transaction a failed flush left open; a connection that cannot be brought
// back to idle is closed rather than returned to the pool.
func endFailed(ctx context.Context, conn *pgxpool.Conn) {
	pg := conn.Conn().PgConn()
	if pg.IsClosed() || pg.TxStatus() == 'I' {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if _, err := conn.Exec(ctx, "ROLLBACK"); err == nil && pg.TxStatus() == 'I' {
		return
	}
	_ = conn.Hijack().Close(ctx)
}

func workflowOf(batch []tasker.Transition) string {
	if len(batch) == 0 {
		return ""
	}
	return batch[0].WorkflowID
}

// sortedBatch checks every transition and returns them sorted by Seq.
func sortedBatch(ts []tasker.Transition) ([]tasker.Transition, error) {
	batch := slices.Clone(ts)
	slices.SortStableFunc(batch, func(a, b tasker.Transition) int { return compareInt64(a.Seq, b.Seq) })
	for i, t := range batch {
		if err := checkTransition(t); err != nil {
			return nil, err
		}
		if t.WorkflowID != batch[0].WorkflowID {
			return nil, fmt.Errorf("seq %d has workflow ID %q, seq %d has %q: one batch is one workflow's",
				t.Seq, t.WorkflowID, batch[0].Seq, batch[0].WorkflowID)
		}
		if i > 0 && batch[i-1].Seq == t.Seq {
			return nil, fmt.Errorf("seq %d appears twice in the batch", t.Seq)
		}
	}
	return batch, nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func checkTransition(t tasker.Transition) error {
	switch {
	case t.WorkflowID == "":
		return fmt.Errorf("seq %d: workflow_id is empty", t.Seq)
	case t.Seq <= 0:
		return fmt.Errorf("seq %d: seq must be positive", t.Seq)
	case t.Entity != tasker.EntityTask && t.Entity != tasker.EntityStep:
		return fmt.Errorf("seq %d: entity %q is neither %q nor %q", t.Seq, t.Entity, tasker.EntityTask, tasker.EntityStep)
	case t.Entity == tasker.EntityStep && t.Step == "":
		return fmt.Errorf("seq %d: step transition without a step name", t.Seq)
	case !knownState(t.To):
		return fmt.Errorf("seq %d: to state %q is not a Tasker state", t.Seq, t.To)
	case t.From != "" && !knownState(t.From):
		return fmt.Errorf("seq %d: from state %q is not a Tasker state", t.Seq, t.From)
	case t.At.IsZero():
		return fmt.Errorf("seq %d: at (the workflow time) is not set", t.Seq)
	case len(t.Results) > 0 && !json.Valid(t.Results):
		return fmt.Errorf("seq %d: results are not valid JSON", t.Seq)
	}
	return nil
}

// advisoryClass is the first key of the advisory locks that serialise flushes per task ("tskr").
const advisoryClass int32 = 0x74736b72

// entity is the mirrored state of the task or one step while a batch is planned.
type entity struct {
	id      int64
	name    string // step name; "" for the task
	state   string // current state: its last transition's to_state ("pending" when it has none)
	maxSort int32  // highest sort_key, -10 when it has none
	touched bool
	last    int // index of its last planned row

	// step columns (steps only)
	cols stepColumns
}

// stepColumns are the Tasker step columns a batch changes; set* says whether to write the field.
type stepColumns struct {
	attempts             int32
	inProcess, processed bool
	setLastAttempted     bool
	lastAttemptedAt      time.Time
	setProcessedAt       bool
	processedAt          time.Time
	setResults           bool
	results              *string
	setBackoff           bool
	backoff              *int32
	updatedAt            time.Time
	// retry_limit and retryable follow the workflow's metadata (max_attempts, retryable) on the
	// transitions that change them: a permanent error, an operator's retry with more attempts.
	setLimit, setRetryable bool
	retryLimit             int32
	retryable              bool
}

// taskState is what a flush reads under the task's advisory lock.
type taskState struct {
	taskID        int64
	workflowID    string
	applied       int64
	authoritative bool // applied comes from tasker_temporal_mirror
	hasMirror     bool // the table exists
	mirrorRow     bool // the task has a row in it
	task          *entity
	steps         map[string]*entity
	complete      bool
}

// readStateSQL reads, in one statement, the task row with its last transition and mirror row
// (kind 'task'), and the batch's steps with theirs (kind 'step'). The last transition (highest
// sort_key) is read through the (parent, sort_key) unique index: one backward index probe per
// entity, whatever the planner's statistics say. %s is the mirror columns and join.
const readStateSQL = `SELECT 'task', t.task_id, ''::text, last.to_state, last.sort_key, %s, 0, false, false
	FROM tasker_tasks t
	LEFT JOIN LATERAL (SELECT x.to_state, x.sort_key FROM tasker_task_transitions x
	                   WHERE x.task_id = t.task_id ORDER BY x.sort_key DESC LIMIT 1) last ON true
	%s
	WHERE t.task_id = $1
	UNION ALL
	SELECT 'step', ws.workflow_step_id, ns.name::text, last.to_state, last.sort_key, NULL::text, NULL::bigint,
	       COALESCE(ws.attempts, 0), ws.in_process, ws.processed
	FROM tasker_workflow_steps ws
	JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
	LEFT JOIN LATERAL (SELECT x.to_state, x.sort_key FROM tasker_workflow_step_transitions x
	                   WHERE x.workflow_step_id = ws.workflow_step_id ORDER BY x.sort_key DESC LIMIT 1) last ON true
	WHERE ws.task_id = $1 AND ns.name = ANY($2::text[])`

var (
	readStateMirrorSQL = fmt.Sprintf(readStateSQL, "m.workflow_id, m.applied_seq",
		"LEFT JOIN tasker_temporal_mirror m ON m.task_id = t.task_id")
	readStateNoMirrorSQL = fmt.Sprintf(readStateSQL, "NULL::text, NULL::bigint", "")
)

// loadTaskState begins the transaction, takes the task's lock and reads what planning needs:
// three statements in one round trip (the read runs after the lock, so it sees every earlier
// flush of the task committed).
func loadTaskState(ctx context.Context, tx *pgx.Conn, taskID int64, batch []tasker.Transition, hasMirror bool) (*taskState, error) {
	st := &taskState{taskID: taskID, workflowID: workflowOf(batch), hasMirror: hasMirror, steps: map[string]*entity{}}
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	// Flushes of one task are serialised by a transaction advisory lock (two-int4 key space, our
	// class, the task_id), which unlike a row lock writes nothing to the task's heap page or WAL.
	b.Queue(`SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, advisoryClass, int32(taskID))
	query := readStateNoMirrorSQL
	if hasMirror {
		query = readStateMirrorSQL
	}
	b.Queue(query, taskID, stepNames(batch))
	br := tx.SendBatch(ctx, b)
	defer func() { _ = br.Close() }()
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		return nil, fmt.Errorf("lock task %d: %w", taskID, err)
	}
	mirror, err := st.scanState(br)
	if err != nil {
		return nil, err
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("read task %d: %w", taskID, err)
	}
	if st.task == nil {
		return nil, fmt.Errorf("task %d: %w", taskID, ErrTaskNotFound)
	}
	if mirror == nil {
		return st, st.derive(ctx, tx)
	}
	return st, st.useMirror(*mirror)
}

// mirrorRow is the task's tasker_temporal_mirror row.
type mirrorRow struct {
	workflowID string
	applied    int64
}

// scanState reads the rows of readStateSQL; it returns the mirror row when there is one.
func (st *taskState) scanState(br pgx.BatchResults) (*mirrorRow, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("read task %d: %w", st.taskID, err)
	}
	var (
		kind, name           string
		id                   int64
		state, mirrorWF      *string
		maxSort              *int32
		applied              *int64
		attempts             int32
		inProcess, processed bool
		mirror               *mirrorRow
	)
	scans := []any{&kind, &id, &name, &state, &maxSort, &mirrorWF, &applied, &attempts, &inProcess, &processed}
	_, err = pgx.ForEachRow(rows, scans, func() error {
		e := newEntity(id, name, state, maxSort)
		if kind == "task" {
			st.task = e
			if mirrorWF != nil && applied != nil {
				mirror = &mirrorRow{workflowID: *mirrorWF, applied: *applied}
			}
			return nil
		}
		if _, dup := st.steps[name]; dup {
			return fmt.Errorf("two steps are named %q (steps are looked up by name)", name)
		}
		e.cols = stepColumns{attempts: attempts, inProcess: inProcess, processed: processed}
		st.steps[name] = e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read task %d: %w", st.taskID, err)
	}
	return mirror, nil
}

// useMirror takes the applied Seq from the task's tasker_temporal_mirror row.
func (st *taskState) useMirror(m mirrorRow) error {
	if m.workflowID != st.workflowID && st.workflowID != "" {
		return fmt.Errorf("task %d, workflow %q: mirrored by workflow %q: %w", st.taskID, st.workflowID, m.workflowID, ErrOtherWorkflow)
	}
	st.applied, st.authoritative, st.mirrorRow = m.applied, true, true
	return nil
}

// stepNames lists the distinct step names of a batch: a flush reads only the steps it writes.
func stepNames(batch []tasker.Transition) []string {
	var names []string
	for _, t := range batch {
		if t.Entity == tasker.EntityStep && !slices.Contains(names, t.Step) {
			names = append(names, t.Step)
		}
	}
	return names
}

func newEntity(id int64, name string, state *string, maxSort *int32) *entity {
	e := &entity{id: id, name: name, state: tasker.StatePending, maxSort: -10}
	if state != nil {
		e.state = *state
	}
	if maxSort != nil {
		e.maxSort = *maxSort
	}
	return e
}

func (st *taskState) derive(ctx context.Context, tx querier) error {
	if st.workflowID == "" { // an empty batch: report what the latest workflow applied
		var err error
		_, st.applied, err = latestMirrored(ctx, tx, st.taskID, false)
		return err
	}
	applied, other, err := derivedApplied(ctx, tx, st.taskID, st.workflowID)
	if err != nil {
		return err
	}
	if other {
		return fmt.Errorf("task %d, workflow %q: transitions of another workflow exist: %w", st.taskID, st.workflowID, ErrOtherWorkflow)
	}
	st.applied = applied
	return nil
}

// unapplied drops what is already applied and checks the rest follows on without a gap (when the
// applied Seq is recorded; a derived one may trail the true one by trailing no-op transitions).
func (st *taskState) unapplied(batch []tasker.Transition) ([]tasker.Transition, error) {
	i, _ := slices.BinarySearchFunc(batch, st.applied+1, func(t tasker.Transition, seq int64) int { return compareInt64(t.Seq, seq) })
	todo := batch[i:]
	if len(todo) > 0 && st.authoritative && todo[0].Seq != st.applied+1 {
		return nil, fmt.Errorf("task %d: next seq is %d, batch continues at %d: %w", st.taskID, st.applied+1, todo[0].Seq, ErrSeqGap)
	}
	return todo, nil
}

// row is one transition row to insert.
type row struct {
	e        *entity
	from     *string // nil for an entity's first transition, as Statesman writes it
	to       string
	metadata string
	sortKey  int32
	at       time.Time
}

// plan is what one flush writes.
type plan struct {
	taskRows, stepRows []row
	touchedSteps       []*entity
	last               time.Time
	lastSeq            int64
}

func (st *taskState) plan(todo []tasker.Transition) (*plan, error) {
	p := &plan{last: todo[len(todo)-1].At.UTC(), lastSeq: todo[len(todo)-1].Seq}
	for _, t := range todo {
		e, err := st.entityOf(t)
		if err != nil {
			return nil, err
		}
		if t.From != "" && t.From != e.state {
			return nil, fmt.Errorf("task %d seq %d %s: from %q but the current state is %q: %w",
				st.taskID, t.Seq, describe(t), t.From, e.state, ErrInvalidTransition)
		}
		if t.To == e.state {
			continue // same-state transitions are no-ops
		}
		if !canTransition(t.Entity, e.state, t.To) {
			return nil, fmt.Errorf("task %d seq %d %s: %s → %s is not allowed: %w",
				st.taskID, t.Seq, describe(t), e.state, t.To, ErrInvalidTransition)
		}
		meta, err := metadataJSON(t)
		if err != nil {
			return nil, fmt.Errorf("task %d seq %d: encode metadata: %w", st.taskID, t.Seq, err)
		}
		r := row{e: e, to: t.To, metadata: meta, sortKey: e.maxSort + 10, at: t.At.UTC()}
		if e.maxSort >= 0 {
			from := e.state
			r.from = &from
		}
		e.state, e.maxSort = t.To, r.sortKey
		if t.Entity == tasker.EntityTask {
			st.complete = st.complete || t.To == tasker.StateComplete
			p.taskRows = appendRow(p.taskRows, r)
			continue
		}
		if !e.touched {
			p.touchedSteps = append(p.touchedSteps, e)
		}
		p.stepRows = appendRow(p.stepRows, r)
		e.cols.apply(t)
	}
	return p, nil
}

func appendRow(rows []row, r row) []row {
	r.e.touched, r.e.last = true, len(rows)
	return append(rows, r)
}

func describe(t tasker.Transition) string {
	if t.Entity == tasker.EntityTask {
		return "task"
	}
	return fmt.Sprintf("step %q", t.Step)
}

func (st *taskState) entityOf(t tasker.Transition) (*entity, error) {
	if t.Entity == tasker.EntityTask {
		return st.task, nil
	}
	e, ok := st.steps[t.Step]
	if !ok {
		return nil, fmt.Errorf("task %d seq %d: step %q is not a step of the task: %w", st.taskID, t.Seq, t.Step, ErrInvalidTransition)
	}
	return e, nil
}

// metadataJSON is the transition's metadata plus workflow_id, seq, attempt_number and, on error,
// the error message.
func metadataJSON(t tasker.Transition) (string, error) {
	m := make(map[string]any, len(t.Metadata)+4)
	for k, v := range t.Metadata {
		m[k] = v
	}
	m["workflow_id"], m["seq"] = t.WorkflowID, t.Seq
	if _, ok := m["attempt_number"]; !ok && t.Attempt > 0 {
		m["attempt_number"] = t.Attempt
	}
	if _, ok := m["error"]; !ok && t.To == tasker.StateError && len(t.Results) > 0 {
		var res struct {
			Error any `json:"error"`
		}
		if json.Unmarshal(t.Results, &res) == nil && res.Error != nil {
			m["error"] = res.Error
		}
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// apply keeps the step columns as Tasker does (TASKER-REFERENCE §2).
func (c *stepColumns) apply(t tasker.Transition) {
	at := t.At.UTC()
	c.updatedAt = at
	switch t.To {
	case tasker.StateInProgress:
		if int32(t.Attempt) > c.attempts {
			c.attempts = int32(t.Attempt)
		} else {
			c.attempts++
		}
		c.setLastAttempted, c.lastAttemptedAt, c.inProcess = true, at, true
	case tasker.StateComplete, tasker.StateResolvedManually:
		c.inProcess, c.processed = false, true
		c.setProcessedAt, c.processedAt = true, at
		c.setResultsIfAny(t.Results)
	case tasker.StateError:
		c.inProcess = false
		c.setResultsIfAny(t.Results)
		c.setBackoff, c.backoff = true, nil
		if t.BackoffSeconds > 0 {
			b := int32(t.BackoffSeconds)
			c.backoff = &b
		}
	default: // pending, cancelled
		c.inProcess = false
	}
	c.applyLimits(t.Metadata)
	if t.To == tasker.StateError && permanentError(t.Metadata) {
		// Tasker's handlers leave a step that will not be retried at retry_limit = attempts made,
		// and the engine's execution context counts an errored step as blocked only when
		// attempts >= retry_limit (retryable is not consulted there).
		c.setLimit, c.retryLimit = true, c.attempts
	}
}

// permanentError reports whether an error transition's metadata says no attempt follows.
func permanentError(md map[string]any) bool {
	if p, ok := md["permanent"].(bool); ok && p {
		return true
	}
	r, ok := md["retryable"].(bool)
	return ok && !r
}

// applyLimits takes max_attempts and retryable from a transition's metadata.
func (c *stepColumns) applyLimits(md map[string]any) {
	if n, ok := md["max_attempts"].(float64); ok && n > 0 {
		c.setLimit, c.retryLimit = true, int32(n)
	}
	if n, ok := md["max_attempts"].(int); ok && n > 0 {
		c.setLimit, c.retryLimit = true, int32(n)
	}
	if r, ok := md["retryable"].(bool); ok {
		c.setRetryable, c.retryable = true, r
	}
}

func (c *stepColumns) setResultsIfAny(results json.RawMessage) {
	if len(results) == 0 {
		return
	}
	s := string(results)
	c.setResults, c.results = true, &s
}

// write queues every write of the flush and COMMIT in one batch.
func (p *plan) write(ctx context.Context, tx *pgx.Conn, st *taskState) error {
	b := &pgx.Batch{}
	if len(p.stepRows) > 0 {
		ids := make([]int64, len(p.touchedSteps))
		for i, e := range p.touchedSteps {
			ids[i] = e.id
		}
		b.Queue(`UPDATE tasker_workflow_step_transitions SET most_recent = false, updated_at = $2
			WHERE workflow_step_id = ANY($1) AND most_recent`, ids, p.last)
		queueInsert(b, "tasker_workflow_step_transitions", "workflow_step_id", p.stepRows)
		queueStepColumns(b, p.touchedSteps)
		queueStepLimits(b, p.touchedSteps)
	}
	if len(p.taskRows) > 0 {
		b.Queue(`UPDATE tasker_task_transitions SET most_recent = false, updated_at = $2
			WHERE task_id = $1 AND most_recent`, st.taskID, p.last)
		queueInsert(b, "tasker_task_transitions", "task_id", p.taskRows)
	}
	if st.complete {
		b.Queue(`UPDATE tasker_tasks SET complete = true, updated_at = $2 WHERE task_id = $1`, st.taskID, p.last)
	}
	switch {
	case st.mirrorRow:
		b.Queue(`UPDATE tasker_temporal_mirror SET applied_seq = $2, updated_at = $3 WHERE task_id = $1`,
			st.taskID, p.lastSeq, p.last)
	case st.hasMirror:
		b.Queue(`INSERT INTO tasker_temporal_mirror (task_id, workflow_id, applied_seq, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4)`, st.taskID, st.workflowID, p.lastSeq, p.last)
	}
	b.Queue("COMMIT")
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write %d task and %d step transition rows: %w", len(p.taskRows), len(p.stepRows), err)
	}
	return nil
}

// queueInsert inserts rows with one statement; only each entity's last row is most_recent.
func queueInsert(b *pgx.Batch, table, parent string, rows []row) {
	if len(rows) == 1 { // the common small flush: no arrays to encode and unnest
		r := rows[0]
		b.Queue(`INSERT INTO `+table+` (to_state, from_state, metadata, sort_key, most_recent, `+parent+`, created_at, updated_at)
			VALUES ($1, $2, $3::jsonb, $4, true, $5, $6, $6)`, r.to, r.from, r.metadata, r.sortKey, r.e.id, r.at)
		return
	}
	n := len(rows)
	to, from, meta := make([]string, n), make([]*string, n), make([]string, n)
	sortKeys, recent, parents, ats := make([]int32, n), make([]bool, n), make([]int64, n), make([]time.Time, n)
	for i, r := range rows {
		to[i], meta[i], sortKeys[i], parents[i], ats[i] = r.to, r.metadata, r.sortKey, r.e.id, r.at
		from[i] = r.from
		recent[i] = r.e.last == i
	}
	b.Queue(`INSERT INTO `+table+` (to_state, from_state, metadata, sort_key, most_recent, `+parent+`, created_at, updated_at)
		SELECT r.to_state, r.from_state, r.metadata::jsonb, r.sort_key, r.most_recent, r.parent, r.at, r.at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bool[], $6::bigint[], $7::timestamp[])
		     WITH ORDINALITY AS r(to_state, from_state, metadata, sort_key, most_recent, parent, at, ord)
		ORDER BY r.ord`, to, from, meta, sortKeys, recent, parents, ats)
}

// stepColumnsSet is the SET list shared by both forms of the step columns update; v is the row of
// new values.
const stepColumnsSet = `attempts = v.attempts, in_process = v.in_process, processed = v.processed,
	last_attempted_at = CASE WHEN v.set_last THEN v.last ELSE ws.last_attempted_at END,
	processed_at = CASE WHEN v.set_processed_at THEN v.processed_at ELSE ws.processed_at END,
	results = CASE WHEN v.set_results THEN v.results::jsonb ELSE ws.results END,
	backoff_request_seconds = CASE WHEN v.set_backoff THEN v.backoff ELSE ws.backoff_request_seconds END,
	updated_at = v.updated_at`

const stepColumnsNames = `(id, attempts, in_process, processed, set_last, last, set_processed_at, processed_at,
	set_results, results, set_backoff, backoff, updated_at)`

func queueStepColumns(b *pgx.Batch, steps []*entity) {
	if len(steps) == 1 {
		e, c := steps[0], steps[0].cols
		b.Queue(`UPDATE tasker_workflow_steps ws SET `+stepColumnsSet+`
			FROM (VALUES ($1::bigint, $2::int, $3::bool, $4::bool, $5::bool, $6::timestamp, $7::bool, $8::timestamp,
			              $9::bool, $10::text, $11::bool, $12::int, $13::timestamp)) AS v `+stepColumnsNames+`
			WHERE ws.workflow_step_id = v.id`,
			e.id, c.attempts, c.inProcess, c.processed, c.setLastAttempted, c.lastAttemptedAt, c.setProcessedAt, c.processedAt,
			c.setResults, c.results, c.setBackoff, c.backoff, c.updatedAt)
		return
	}
	n := len(steps)
	ids, attempts := make([]int64, n), make([]int32, n)
	inProcess, processed := make([]bool, n), make([]bool, n)
	setLast, last, setProcessedAt, processedAt := make([]bool, n), make([]time.Time, n), make([]bool, n), make([]time.Time, n)
	setResults, results, setBackoff, backoff := make([]bool, n), make([]*string, n), make([]bool, n), make([]*int32, n)
	updated := make([]time.Time, n)
	for i, e := range steps {
		c := e.cols
		ids[i], attempts[i], inProcess[i], processed[i] = e.id, c.attempts, c.inProcess, c.processed
		setLast[i], last[i], setProcessedAt[i], processedAt[i] = c.setLastAttempted, c.lastAttemptedAt, c.setProcessedAt, c.processedAt
		setResults[i], results[i], setBackoff[i], backoff[i] = c.setResults, c.results, c.setBackoff, c.backoff
		updated[i] = c.updatedAt
	}
	b.Queue(`UPDATE tasker_workflow_steps ws SET `+stepColumnsSet+`
		FROM unnest($1::bigint[], $2::int[], $3::bool[], $4::bool[], $5::bool[], $6::timestamp[], $7::bool[],
		            $8::timestamp[], $9::bool[], $10::text[], $11::bool[], $12::int[], $13::timestamp[])
		     AS v `+stepColumnsNames+`
		WHERE ws.workflow_step_id = v.id`,
		ids, attempts, inProcess, processed, setLast, last, setProcessedAt, processedAt,
		setResults, results, setBackoff, backoff, updated)
}

// queueStepLimits updates retry_limit and retryable of the steps whose transitions changed them
// (rare: error transitions and operator retries), one statement each.
func queueStepLimits(b *pgx.Batch, steps []*entity) {
	for _, e := range steps {
		c := e.cols
		if !c.setLimit && !c.setRetryable {
			continue
		}
		b.Queue(`UPDATE tasker_workflow_steps SET
			retry_limit = CASE WHEN $2 THEN $3 ELSE retry_limit END,
			retryable = CASE WHEN $4 THEN $5 ELSE retryable END
			WHERE workflow_step_id = $1`, e.id, c.setLimit, c.retryLimit, c.setRetryable, c.retryable)
	}
}
