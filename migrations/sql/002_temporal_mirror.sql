-- Our only table next to the Rails schema: the highest transition Seq applied per task, so a
-- retried or replayed flush is recognised and skipped (docs/compat.md). ON DELETE CASCADE keeps a
-- Rails app's task deletion working.
CREATE TABLE IF NOT EXISTS tasker_temporal_mirror (
    task_id bigint PRIMARY KEY REFERENCES tasker_tasks (task_id) ON DELETE CASCADE,
    workflow_id text NOT NULL,
    applied_seq bigint NOT NULL DEFAULT 0,
    created_at timestamp(6) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    updated_at timestamp(6) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
