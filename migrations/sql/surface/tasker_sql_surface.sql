-- Tasker's SQL surface on a database our migrations created: the functions and the view the Tasker
-- Rails engine ships (same names, signatures and result columns), computing what the engine's own
-- SQL computes (docs/compat.md §5 lists each rule and the two places we knowingly differ). Written
-- by us from the engine's documented and observed behaviour; none of its code is copied here.
-- Never installed into a database a Rails app created: that one has the engine's own.
--
-- Timestamps are stored without a zone and compared with now() as the engine compares them, i.e.
-- read in the session's TimeZone; Rails sessions (and ours) use UTC.
--
-- Every statement is CREATE OR REPLACE: running this file again is harmless.

-- Readiness of the steps of several tasks: one row per step.
CREATE OR REPLACE FUNCTION get_step_readiness_status_batch(input_task_ids bigint[])
RETURNS TABLE (
    workflow_step_id bigint,
    task_id bigint,
    named_step_id integer,
    name text,
    current_state text,
    dependencies_satisfied boolean,
    retry_eligible boolean,
    ready_for_execution boolean,
    last_failure_at timestamp without time zone,
    next_retry_at timestamp without time zone,
    total_parents integer,
    completed_parents integer,
    attempts integer,
    retry_limit integer,
    backoff_request_seconds integer,
    last_attempted_at timestamp without time zone
)
LANGUAGE sql STABLE
AS $$
WITH step AS (
    SELECT ws.workflow_step_id,
           ws.task_id,
           ws.named_step_id,
           ns.name::text AS name,
           COALESCE(cur.to_state, 'pending')::text AS current_state,
           -- the engine's "last failure" is the current transition when it is an error
           CASE WHEN cur.to_state = 'error' THEN cur.created_at END AS last_failure_at,
           COALESCE(ws.attempts, 0) AS attempts_made,
           ws.attempts AS attempts_raw,
           COALESCE(ws.retry_limit, 3) AS limit_or_default,
           COALESCE(ws.retryable, true) AS retryable,
           COALESCE(ws.in_process, false) AS in_process,
           COALESCE(ws.processed, false) AS processed,
           ws.backoff_request_seconds,
           ws.last_attempted_at,
           par.total_parents,
           par.completed_parents
    FROM tasker_workflow_steps ws
    JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
    -- one index probe per step (the partial unique index on most_recent), whatever the estimates
    LEFT JOIN LATERAL (
        SELECT x.to_state, x.created_at FROM tasker_workflow_step_transitions x
        WHERE x.workflow_step_id = ws.workflow_step_id AND x.most_recent LIMIT 1
    ) cur ON true
    CROSS JOIN LATERAL (
        SELECT count(*)::integer AS total_parents,
               (count(*) FILTER (WHERE pst.to_state IN ('complete', 'resolved_manually')))::integer AS completed_parents
        FROM tasker_workflow_step_edges e
        LEFT JOIN tasker_workflow_step_transitions pst
               ON pst.workflow_step_id = e.from_step_id AND pst.most_recent
        WHERE e.to_step_id = ws.workflow_step_id
    ) par
    WHERE ws.task_id = ANY (input_task_ids)
),
timed AS (
    SELECT s.*,
           CASE WHEN s.backoff_request_seconds IS NOT NULL AND s.last_attempted_at IS NOT NULL
                THEN s.last_attempted_at + s.backoff_request_seconds * interval '1 second' END AS requested_retry_at,
           -- failure backoff: 2^attempts seconds (attempts NULL counts as 1), at most 30
           s.last_failure_at + LEAST(power(2, COALESCE(s.attempts_raw, 1)) * interval '1 second',
                                     interval '30 seconds') AS failure_retry_at
    FROM step s
)
SELECT t.workflow_step_id,
       t.task_id,
       t.named_step_id,
       t.name,
       t.current_state,
       t.completed_parents = t.total_parents AS dependencies_satisfied,
       t.attempts_made < t.limit_or_default AS retry_eligible,
       (t.current_state IN ('pending', 'error')
        AND NOT t.processed
        AND t.completed_parents = t.total_parents
        AND t.attempts_made < t.limit_or_default
        AND t.retryable
        AND NOT t.in_process
        AND (t.requested_retry_at IS NULL OR t.requested_retry_at <= now())
        AND (t.failure_retry_at IS NULL OR t.failure_retry_at <= now())) AS ready_for_execution,
       t.last_failure_at,
       COALESCE(t.requested_retry_at, t.failure_retry_at) AS next_retry_at,
       t.total_parents,
       t.completed_parents,
       t.attempts_made AS attempts,
       t.limit_or_default AS retry_limit,
       t.backoff_request_seconds,
       t.last_attempted_at
FROM timed t
ORDER BY t.task_id, t.workflow_step_id
$$;

-- Readiness of one task's steps, optionally only the given steps.
CREATE OR REPLACE FUNCTION get_step_readiness_status(input_task_id bigint, step_ids bigint[] DEFAULT NULL::bigint[])
RETURNS TABLE (
    workflow_step_id bigint,
    task_id bigint,
    named_step_id integer,
    name text,
    current_state text,
    dependencies_satisfied boolean,
    retry_eligible boolean,
    ready_for_execution boolean,
    last_failure_at timestamp without time zone,
    next_retry_at timestamp without time zone,
    total_parents integer,
    completed_parents integer,
    attempts integer,
    retry_limit integer,
    backoff_request_seconds integer,
    last_attempted_at timestamp without time zone
)
LANGUAGE sql STABLE
AS $$
SELECT r.*
FROM get_step_readiness_status_batch(ARRAY[input_task_id]) r
WHERE step_ids IS NULL OR r.workflow_step_id = ANY (step_ids)
$$;

-- The execution context of several tasks: one row per element of input_task_ids that names a task.
CREATE OR REPLACE FUNCTION get_task_execution_contexts_batch(input_task_ids bigint[])
RETURNS TABLE (
    task_id bigint,
    named_task_id integer,
    status text,
    total_steps bigint,
    pending_steps bigint,
    in_progress_steps bigint,
    completed_steps bigint,
    failed_steps bigint,
    ready_steps bigint,
    execution_status text,
    recommended_action text,
    completion_percentage numeric,
    health_status text
)
LANGUAGE sql STABLE
AS $$
WITH per_task AS (
    SELECT r.task_id,
           count(*) AS total_steps,
           count(*) FILTER (WHERE r.current_state = 'pending') AS pending_steps,
           count(*) FILTER (WHERE r.current_state = 'in_progress') AS in_progress_steps,
           count(*) FILTER (WHERE r.current_state IN ('complete', 'resolved_manually')) AS completed_steps,
           count(*) FILTER (WHERE r.current_state = 'error') AS failed_steps,
           count(*) FILTER (WHERE r.ready_for_execution) AS ready_steps,
           -- permanently blocked: in error and out of attempts (retryable is not consulted here)
           count(*) FILTER (WHERE r.current_state = 'error' AND r.attempts >= r.retry_limit) AS blocked_steps
    FROM get_step_readiness_status_batch(input_task_ids) r
    GROUP BY r.task_id
),
asked AS (
    SELECT t.task_id,
           t.named_task_id,
           COALESCE(tt.to_state, 'pending')::text AS status,
           COALESCE(p.total_steps, 0) AS total_steps,
           COALESCE(p.pending_steps, 0) AS pending_steps,
           COALESCE(p.in_progress_steps, 0) AS in_progress_steps,
           COALESCE(p.completed_steps, 0) AS completed_steps,
           COALESCE(p.failed_steps, 0) AS failed_steps,
           COALESCE(p.ready_steps, 0) AS ready_steps,
           COALESCE(p.blocked_steps, 0) AS blocked_steps
    FROM unnest(input_task_ids) AS wanted(task_id)
    JOIN tasker_tasks t ON t.task_id = wanted.task_id
    LEFT JOIN tasker_task_transitions tt ON tt.task_id = t.task_id AND tt.most_recent
    LEFT JOIN per_task p ON p.task_id = t.task_id
),
classified AS (
    SELECT a.*,
           CASE WHEN a.ready_steps > 0 THEN 1
                WHEN a.in_progress_steps > 0 THEN 2
                WHEN a.blocked_steps > 0 THEN 3
                WHEN a.total_steps > 0 AND a.completed_steps = a.total_steps THEN 4
                ELSE 5 END AS verdict
    FROM asked a
)
SELECT c.task_id,
       c.named_task_id,
       c.status,
       c.total_steps,
       c.pending_steps,
       c.in_progress_steps,
       c.completed_steps,
       c.failed_steps,
       c.ready_steps,
       (ARRAY['has_ready_steps', 'processing', 'blocked_by_failures', 'all_complete',
              'waiting_for_dependencies'])[c.verdict] AS execution_status,
       (ARRAY['execute_ready_steps', 'wait_for_completion', 'handle_failures', 'finalize_task',
              'wait_for_dependencies'])[c.verdict] AS recommended_action,
       CASE WHEN c.total_steps = 0 THEN 0.0
            ELSE round(c.completed_steps::numeric / c.total_steps::numeric * 100, 2) END AS completion_percentage,
       CASE WHEN c.failed_steps = 0 THEN 'healthy'
            WHEN c.ready_steps > 0 THEN 'recovering'
            WHEN c.blocked_steps > 0 THEN 'blocked'
            ELSE 'recovering' END AS health_status
FROM classified c
ORDER BY c.task_id
$$;

-- The execution context of one task (no row when the task does not exist).
CREATE OR REPLACE FUNCTION get_task_execution_context(input_task_id bigint)
RETURNS TABLE (
    task_id bigint,
    named_task_id integer,
    status text,
    total_steps bigint,
    pending_steps bigint,
    in_progress_steps bigint,
    completed_steps bigint,
    failed_steps bigint,
    ready_steps bigint,
    execution_status text,
    recommended_action text,
    completion_percentage numeric,
    health_status text
)
LANGUAGE sql STABLE
AS $$
SELECT * FROM get_task_execution_contexts_batch(ARRAY[input_task_id])
$$;

-- Dependency level of each step of a task reachable from a root: the longest path from a root
-- (a step with no parent), roots at 0.
CREATE OR REPLACE FUNCTION calculate_dependency_levels(input_task_id bigint)
RETURNS TABLE (workflow_step_id bigint, dependency_level integer)
LANGUAGE sql STABLE
AS $$
WITH RECURSIVE walk (step_id, level) AS (
    SELECT ws.workflow_step_id, 0
    FROM tasker_workflow_steps ws
    WHERE ws.task_id = input_task_id
      AND NOT EXISTS (SELECT 1 FROM tasker_workflow_step_edges e WHERE e.to_step_id = ws.workflow_step_id)
    UNION
    SELECT e.to_step_id, w.level + 1
    FROM walk w
    JOIN tasker_workflow_step_edges e ON e.from_step_id = w.step_id
    JOIN tasker_workflow_steps child ON child.workflow_step_id = e.to_step_id AND child.task_id = input_task_id
    -- a path longer than the task has steps goes round a cycle: stop there
    WHERE w.level < (SELECT count(*) FROM tasker_workflow_steps n WHERE n.task_id = input_task_id)
)
SELECT w.step_id AS workflow_step_id, max(w.level)::integer AS dependency_level
FROM walk w
GROUP BY w.step_id
ORDER BY dependency_level, workflow_step_id
$$;

-- Parents, children and the shortest distance from a root (searched up to 50 edges) of every step.
CREATE OR REPLACE VIEW tasker_step_dag_relationships AS
SELECT ws.workflow_step_id,
       ws.task_id,
       ws.named_step_id,
       COALESCE(up.ids, '[]'::jsonb) AS parent_step_ids,
       COALESCE(down.ids, '[]'::jsonb) AS child_step_ids,
       up.n AS parent_count,
       down.n AS child_count,
       up.n = 0 AS is_root_step,
       down.n = 0 AS is_leaf_step,
       depth.d AS min_depth_from_root
FROM tasker_workflow_steps ws
CROSS JOIN LATERAL (
    SELECT jsonb_agg(e.from_step_id ORDER BY e.from_step_id) AS ids, count(*) AS n
    FROM tasker_workflow_step_edges e WHERE e.to_step_id = ws.workflow_step_id
) up
CROSS JOIN LATERAL (
    SELECT jsonb_agg(e.to_step_id ORDER BY e.to_step_id) AS ids, count(*) AS n
    FROM tasker_workflow_step_edges e WHERE e.from_step_id = ws.workflow_step_id
) down
LEFT JOIN LATERAL (
    -- walk up through the parents; the distance to the nearest ancestor that is a root
    WITH RECURSIVE ancestors (step_id, dist) AS (
        SELECT ws.workflow_step_id, 0
        UNION
        SELECT e.from_step_id, a.dist + 1
        FROM ancestors a
        JOIN tasker_workflow_step_edges e ON e.to_step_id = a.step_id
        WHERE a.dist < 50
    )
    SELECT min(a.dist) AS d
    FROM ancestors a
    WHERE NOT EXISTS (SELECT 1 FROM tasker_workflow_step_edges e WHERE e.to_step_id = a.step_id)
) depth ON true;

-- Counts of tasks and steps by current state, retry situation of errored steps, and connections.
CREATE OR REPLACE FUNCTION get_system_health_counts_v01()
RETURNS TABLE (
    total_tasks bigint,
    pending_tasks bigint,
    in_progress_tasks bigint,
    complete_tasks bigint,
    error_tasks bigint,
    cancelled_tasks bigint,
    total_steps bigint,
    pending_steps bigint,
    in_progress_steps bigint,
    complete_steps bigint,
    error_steps bigint,
    retryable_error_steps bigint,
    exhausted_retry_steps bigint,
    in_backoff_steps bigint,
    active_connections bigint,
    max_connections bigint
)
LANGUAGE sql STABLE
AS $$
WITH tasks AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE tt.to_state = 'pending') AS pending,
           count(*) FILTER (WHERE tt.to_state = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE tt.to_state = 'complete') AS complete,
           count(*) FILTER (WHERE tt.to_state = 'error') AS error,
           count(*) FILTER (WHERE tt.to_state = 'cancelled') AS cancelled
    FROM tasker_tasks t
    LEFT JOIN tasker_task_transitions tt ON tt.task_id = t.task_id AND tt.most_recent
),
steps AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE st.to_state = 'pending') AS pending,
           count(*) FILTER (WHERE st.to_state = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE st.to_state = 'complete') AS complete,
           count(*) FILTER (WHERE st.to_state = 'error') AS error,
           -- NULL attempts or retry_limit count as neither retryable nor exhausted
           count(*) FILTER (WHERE st.to_state = 'error' AND ws.attempts < ws.retry_limit
                            AND COALESCE(ws.retryable, true)) AS retryable_error,
           count(*) FILTER (WHERE st.to_state = 'error' AND ws.attempts >= ws.retry_limit) AS exhausted,
           count(*) FILTER (WHERE st.to_state = 'error' AND ws.attempts < ws.retry_limit
                            AND COALESCE(ws.retryable, true) AND ws.last_attempted_at IS NOT NULL) AS in_backoff
    FROM tasker_workflow_steps ws
    LEFT JOIN tasker_workflow_step_transitions st ON st.workflow_step_id = ws.workflow_step_id AND st.most_recent
),
conns AS (
    SELECT (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = current_database() AND a.state = 'active') AS active,
           COALESCE((SELECT s.setting::bigint FROM pg_settings s WHERE s.name = 'max_connections'), 0) AS max
)
SELECT tasks.total, tasks.pending, tasks.in_progress, tasks.complete, tasks.error, tasks.cancelled,
       steps.total, steps.pending, steps.in_progress, steps.complete, steps.error,
       steps.retryable_error, steps.exhausted, steps.in_backoff,
       conns.active, conns.max
FROM tasks, steps, conns
$$;

-- System metrics since a moment (default: an hour ago). Task outcomes are judged, as the engine
-- judges them, by their steps' current states: a task "completed" when one of its steps is
-- complete, "errored" when one is in error (a task can be both).
CREATE OR REPLACE FUNCTION get_analytics_metrics_v01(since_timestamp timestamp with time zone DEFAULT NULL::timestamp with time zone)
RETURNS TABLE (
    active_tasks_count bigint,
    total_namespaces_count bigint,
    unique_task_types_count bigint,
    system_health_score numeric,
    task_throughput bigint,
    completion_count bigint,
    error_count bigint,
    completion_rate numeric,
    error_rate numeric,
    avg_task_duration numeric,
    avg_step_duration numeric,
    step_throughput bigint,
    analysis_period_start timestamp with time zone,
    calculated_at timestamp with time zone
)
LANGUAGE sql STABLE
AS $$
WITH bounds AS (
    SELECT COALESCE(since_timestamp, now() - interval '1 hour') AS start_at
),
step_now AS ( -- every step with its task and current state
    SELECT t.task_id, t.created_at AS task_created_at, ws.workflow_step_id, ws.created_at AS step_created_at,
           cur.to_state, cur.created_at AS state_at
    FROM tasker_tasks t
    JOIN tasker_workflow_steps ws ON ws.task_id = t.task_id
    JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
),
active AS (
    SELECT count(DISTINCT s.task_id) AS n
    FROM step_now s
    WHERE s.to_state NOT IN ('complete', 'error', 'skipped', 'resolved_manually')
),
catalog AS (
    SELECT count(DISTINCT tn.name) AS namespaces, count(DISTINCT nt.name) AS task_types
    FROM tasker_tasks t
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
),
last_hour AS ( -- the health score always looks at the last hour, whatever since_timestamp says
    SELECT count(DISTINCT s.task_id) FILTER (WHERE s.to_state = 'complete') AS completed,
           count(DISTINCT s.task_id) FILTER (WHERE s.to_state = 'error') AS errored
    FROM step_now s
    WHERE s.task_created_at > now() - interval '1 hour'
),
period AS (
    SELECT count(DISTINCT t.task_id) AS tasks,
           count(DISTINCT t.task_id) FILTER (WHERE cur.to_state = 'complete') AS completed,
           count(DISTINCT t.task_id) FILTER (WHERE cur.to_state = 'error') AS errored,
           count(DISTINCT ws.workflow_step_id) AS steps,
           avg(EXTRACT(EPOCH FROM (cur.created_at - t.created_at))) FILTER (WHERE cur.to_state = 'complete') AS task_seconds,
           avg(EXTRACT(EPOCH FROM (cur.created_at - ws.created_at))) FILTER (WHERE cur.to_state = 'complete') AS step_seconds
    FROM tasker_tasks t
    LEFT JOIN tasker_workflow_steps ws ON ws.task_id = t.task_id
    LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
    WHERE t.created_at > (SELECT b.start_at FROM bounds b)
)
SELECT active.n,
       catalog.namespaces,
       catalog.task_types,
       CASE WHEN last_hour.completed + last_hour.errored > 0
            THEN round(last_hour.completed::numeric / (last_hour.completed + last_hour.errored), 3)
            ELSE 1.0 END,
       period.tasks,
       period.completed,
       period.errored,
       CASE WHEN period.tasks > 0 THEN round(period.completed::numeric / period.tasks * 100, 2) ELSE 0.0 END,
       CASE WHEN period.tasks > 0 THEN round(period.errored::numeric / period.tasks * 100, 2) ELSE 0.0 END,
       round(COALESCE(period.task_seconds, 0), 3),
       round(COALESCE(period.step_seconds, 0), 3),
       period.steps,
       bounds.start_at,
       now()
FROM active, catalog, last_hour, period, bounds
$$;

-- The slowest completed steps created since a moment (default: a day ago): from the step row's
-- creation to its current `complete` transition, longest first.
CREATE OR REPLACE FUNCTION get_slowest_steps_v01(since_timestamp timestamp with time zone DEFAULT NULL::timestamp with time zone,
    limit_count integer DEFAULT 10, namespace_filter text DEFAULT NULL::text,
    task_name_filter text DEFAULT NULL::text, version_filter text DEFAULT NULL::text)
RETURNS TABLE (
    workflow_step_id bigint,
    task_id bigint,
    step_name character varying,
    task_name character varying,
    namespace_name character varying,
    version character varying,
    duration_seconds numeric,
    attempts integer,
    created_at timestamp with time zone,
    completed_at timestamp with time zone,
    retryable boolean,
    step_status character varying
)
LANGUAGE sql STABLE
AS $$
WITH done AS (
    SELECT ws.workflow_step_id, ws.task_id, ns.name AS step_name, nt.name AS task_name, tn.name AS namespace_name,
           nt.version, ws.attempts, ws.retryable, ws.created_at, cur.created_at AS completed_at, cur.to_state,
           EXTRACT(EPOCH FROM (cur.created_at - ws.created_at)) AS seconds
    FROM tasker_workflow_steps ws
    JOIN tasker_workflow_step_transitions cur
      ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent AND cur.to_state = 'complete'
    JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
    JOIN tasker_tasks t ON t.task_id = ws.task_id
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    WHERE ws.created_at > COALESCE(since_timestamp, now() - interval '24 hours')
      AND (namespace_filter IS NULL OR tn.name = namespace_filter)
      AND (task_name_filter IS NULL OR nt.name = task_name_filter)
      AND (version_filter IS NULL OR nt.version = version_filter)
)
SELECT d.workflow_step_id, d.task_id, d.step_name::varchar, d.task_name::varchar, d.namespace_name::varchar,
       d.version::varchar, round(d.seconds, 3), d.attempts, d.created_at::timestamptz, d.completed_at::timestamptz,
       d.retryable, d.to_state::varchar
FROM done d
WHERE d.seconds > 0
ORDER BY d.seconds DESC, d.workflow_step_id
LIMIT limit_count
$$;

-- The slowest tasks created since a moment (default: a day ago) that have a step currently
-- complete or in error: from the task row's creation to the latest such step transition.
CREATE OR REPLACE FUNCTION get_slowest_tasks_v01(since_timestamp timestamp with time zone DEFAULT NULL::timestamp with time zone,
    limit_count integer DEFAULT 10, namespace_filter text DEFAULT NULL::text,
    task_name_filter text DEFAULT NULL::text, version_filter text DEFAULT NULL::text)
RETURNS TABLE (
    task_id bigint,
    task_name character varying,
    namespace_name character varying,
    version character varying,
    duration_seconds numeric,
    step_count bigint,
    completed_steps bigint,
    error_steps bigint,
    created_at timestamp with time zone,
    completed_at timestamp with time zone,
    initiator character varying,
    source_system character varying
)
LANGUAGE sql STABLE
AS $$
WITH per_task AS (
    SELECT t.task_id, nt.name AS task_name, tn.name AS namespace_name, nt.version, t.created_at,
           t.initiator, t.source_system,
           count(*) AS steps,
           count(*) FILTER (WHERE cur.to_state = 'complete') AS completed,
           count(*) FILTER (WHERE cur.to_state = 'error') AS errored,
           max(cur.created_at) FILTER (WHERE cur.to_state IN ('complete', 'error')) AS finished_at
    FROM tasker_tasks t
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    JOIN tasker_workflow_steps ws ON ws.task_id = t.task_id
    LEFT JOIN tasker_workflow_step_transitions cur ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
    WHERE t.created_at > COALESCE(since_timestamp, now() - interval '24 hours')
      AND (namespace_filter IS NULL OR tn.name = namespace_filter)
      AND (task_name_filter IS NULL OR nt.name = task_name_filter)
      AND (version_filter IS NULL OR nt.version = version_filter)
    GROUP BY t.task_id, nt.name, tn.name, nt.version
)
SELECT p.task_id, p.task_name::varchar, p.namespace_name::varchar, p.version::varchar,
       round(EXTRACT(EPOCH FROM (p.finished_at - p.created_at)), 3), p.steps, p.completed, p.errored,
       p.created_at::timestamptz, p.finished_at::timestamptz, p.initiator::varchar, p.source_system::varchar
FROM per_task p
WHERE p.finished_at IS NOT NULL
ORDER BY EXTRACT(EPOCH FROM (p.finished_at - p.created_at)) DESC, p.task_id
LIMIT limit_count
$$;
