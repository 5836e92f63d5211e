-- Opt-in functions with the meaning of Tasker's get_step_readiness_status and
-- get_task_execution_context (TASKER-REFERENCE §3), for databases no Rails app created: tests and
-- Rails-less users ask them the same questions a Rails app asks its own functions. Written from the
-- documented facts, not from Tasker's code. A Rails database already has its own versions; never
-- install these there (migrations.InstallFunctions refuses to).
--
-- Timestamps are stored in UTC without a zone (as Rails does), so "now" is now() AT TIME ZONE 'UTC'.
--
-- One deliberate difference from the letter of §3: a step whose `retryable` is false is still
-- eligible for its first attempt (attempts = 0); Rails' rule would leave such a step never ready.

CREATE OR REPLACE FUNCTION get_step_readiness_status(input_task_id bigint, step_ids bigint[] DEFAULT NULL)
RETURNS TABLE (
    workflow_step_id bigint,
    task_id bigint,
    named_step_id integer,
    name text,
    current_state text,
    dependencies_satisfied boolean,
    retry_eligible boolean,
    ready_for_execution boolean,
    last_failure_at timestamp,
    next_retry_at timestamp,
    total_parents integer,
    completed_parents integer,
    attempts integer,
    retry_limit integer,
    backoff_request_seconds integer,
    last_attempted_at timestamp
)
LANGUAGE sql STABLE
AS $$
WITH steps AS (
    SELECT ws.workflow_step_id,
           ws.task_id,
           ws.named_step_id,
           ns.name::text AS name,
           COALESCE(cur.to_state, 'pending')::text AS current_state,
           COALESCE(ws.attempts, 0) AS attempts,
           COALESCE(ws.retry_limit, 3) AS retry_limit,
           ws.retryable,
           ws.in_process,
           ws.processed,
           ws.backoff_request_seconds,
           ws.last_attempted_at
    FROM tasker_workflow_steps ws
    JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
    LEFT JOIN LATERAL (
        SELECT x.to_state FROM tasker_workflow_step_transitions x
        WHERE x.workflow_step_id = ws.workflow_step_id AND x.most_recent LIMIT 1
    ) cur ON true
    WHERE ws.task_id = input_task_id
      AND (step_ids IS NULL OR ws.workflow_step_id = ANY (step_ids))
),
parents AS (
    SELECT e.to_step_id,
           count(*)::integer AS total_parents,
           (count(*) FILTER (WHERE COALESCE(pt.to_state, 'pending') IN ('complete', 'resolved_manually')))::integer
               AS completed_parents
    FROM tasker_workflow_step_edges e
    JOIN steps s ON s.workflow_step_id = e.to_step_id
    LEFT JOIN LATERAL (
        SELECT x.to_state FROM tasker_workflow_step_transitions x
        WHERE x.workflow_step_id = e.from_step_id AND x.most_recent LIMIT 1
    ) pt ON true
    GROUP BY e.to_step_id
),
evaluated AS (
    SELECT s.*,
           COALESCE(p.total_parents, 0) AS total_parents,
           COALESCE(p.completed_parents, 0) AS completed_parents,
           COALESCE(p.total_parents, 0) = COALESCE(p.completed_parents, 0) AS dependencies_satisfied,
           (s.attempts < s.retry_limit AND (s.retryable OR s.attempts = 0)) AS retry_eligible,
           lf.last_failure_at,
           CASE WHEN s.backoff_request_seconds IS NOT NULL AND s.last_attempted_at IS NOT NULL
                THEN s.last_attempted_at + s.backoff_request_seconds * interval '1 second' END AS explicit_retry_at,
           CASE WHEN lf.last_failure_at IS NOT NULL
                THEN lf.last_failure_at + least(power(2, s.attempts), 30) * interval '1 second' END AS failure_retry_at
    FROM steps s
    LEFT JOIN parents p ON p.to_step_id = s.workflow_step_id
    LEFT JOIN LATERAL (
        SELECT max(t.created_at) AS last_failure_at
        FROM tasker_workflow_step_transitions t
        WHERE t.workflow_step_id = s.workflow_step_id AND t.to_state = 'error'
    ) lf ON true
)
SELECT e.workflow_step_id,
       e.task_id,
       e.named_step_id,
       e.name,
       e.current_state,
       e.dependencies_satisfied,
       e.retry_eligible,
       (e.current_state IN ('pending', 'error')
        AND NOT e.processed
        AND e.dependencies_satisfied
        AND e.retry_eligible
        AND NOT e.in_process
        AND (e.explicit_retry_at IS NULL OR e.explicit_retry_at <= (now() AT TIME ZONE 'UTC'))
        AND (e.failure_retry_at IS NULL OR e.failure_retry_at <= (now() AT TIME ZONE 'UTC'))) AS ready_for_execution,
       e.last_failure_at,
       CASE WHEN e.explicit_retry_at IS NULL THEN e.failure_retry_at
            WHEN e.failure_retry_at IS NULL THEN e.explicit_retry_at
            ELSE greatest(e.explicit_retry_at, e.failure_retry_at) END AS next_retry_at,
       e.total_parents,
       e.completed_parents,
       e.attempts,
       e.retry_limit,
       e.backoff_request_seconds,
       e.last_attempted_at
FROM evaluated e
ORDER BY e.workflow_step_id
$$;

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
WITH readiness AS (
    SELECT * FROM get_step_readiness_status(input_task_id)
),
counts AS (
    SELECT count(*) AS total_steps,
           count(*) FILTER (WHERE r.current_state = 'pending') AS pending_steps,
           count(*) FILTER (WHERE r.current_state = 'in_progress') AS in_progress_steps,
           count(*) FILTER (WHERE r.current_state IN ('complete', 'resolved_manually')) AS completed_steps,
           count(*) FILTER (WHERE r.current_state = 'error') AS failed_steps,
           count(*) FILTER (WHERE r.ready_for_execution) AS ready_steps,
           count(*) FILTER (WHERE r.current_state = 'error' AND NOT r.retry_eligible) AS blocked_steps
    FROM readiness r
),
task AS (
    SELECT t.task_id, t.named_task_id, COALESCE(tt.to_state, 'pending')::text AS status
    FROM tasker_tasks t
    LEFT JOIN tasker_task_transitions tt ON tt.task_id = t.task_id AND tt.most_recent
    WHERE t.task_id = input_task_id
),
classified AS (
    SELECT task.*, c.*,
           CASE WHEN c.ready_steps > 0 THEN 'has_ready_steps'
                WHEN c.in_progress_steps > 0 THEN 'processing'
                WHEN c.blocked_steps > 0 THEN 'blocked_by_failures'
                WHEN c.total_steps > 0 AND c.completed_steps = c.total_steps THEN 'all_complete'
                ELSE 'waiting_for_dependencies' END AS execution_status
    FROM task CROSS JOIN counts c
)
SELECT k.task_id,
       k.named_task_id,
       k.status,
       k.total_steps,
       k.pending_steps,
       k.in_progress_steps,
       k.completed_steps,
       k.failed_steps,
       k.ready_steps,
       k.execution_status,
       CASE k.execution_status
            WHEN 'has_ready_steps' THEN 'execute_ready_steps'
            WHEN 'processing' THEN 'wait_for_completion'
            WHEN 'blocked_by_failures' THEN 'handle_failures'
            WHEN 'all_complete' THEN 'finalize_task'
            ELSE 'wait_for_dependencies' END AS recommended_action,
       CASE WHEN k.total_steps = 0 THEN 0::numeric
            ELSE round(k.completed_steps * 100.0 / k.total_steps, 2) END AS completion_percentage,
       CASE WHEN k.failed_steps = 0 THEN 'healthy'
            WHEN k.blocked_steps > 0 AND k.ready_steps = 0 THEN 'blocked'
            ELSE 'recovering' END AS health_status
FROM classified k
$$;
