-- The part of Tasker's Rails schema (db/init/schema.sql) that step readiness reads, with the Rails
-- column names and types (TASKER-REFERENCE §1). Benchmark and agreement-test fixture only: the
-- migrations package owns the real schema, and will replace this file.

CREATE TABLE tasker_task_namespaces (
    task_namespace_id serial PRIMARY KEY,
    name varchar(64) NOT NULL,
    description varchar(255),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_task_namespaces_on_name ON tasker_task_namespaces (name);

CREATE TABLE tasker_dependent_systems (
    dependent_system_id serial PRIMARY KEY,
    name varchar(64) NOT NULL,
    description varchar(255),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_dependent_systems_on_name ON tasker_dependent_systems (name);

CREATE TABLE tasker_named_steps (
    named_step_id serial PRIMARY KEY,
    dependent_system_id integer NOT NULL REFERENCES tasker_dependent_systems (dependent_system_id),
    name varchar(128) NOT NULL,
    description varchar(255),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX named_step_by_system_uniq ON tasker_named_steps (dependent_system_id, name);

CREATE TABLE tasker_named_tasks (
    named_task_id serial PRIMARY KEY,
    name varchar(64) NOT NULL,
    description varchar(255),
    task_namespace_id bigint NOT NULL DEFAULT 1 REFERENCES tasker_task_namespaces (task_namespace_id),
    version varchar(16) NOT NULL DEFAULT '0.1.0',
    configuration jsonb,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_named_tasks_on_namespace_name_version ON tasker_named_tasks (task_namespace_id, name, version);

CREATE TABLE tasker_tasks (
    task_id bigserial PRIMARY KEY,
    named_task_id integer NOT NULL REFERENCES tasker_named_tasks (named_task_id),
    complete boolean NOT NULL DEFAULT false,
    requested_at timestamp NOT NULL,
    initiator varchar(128),
    source_system varchar(128),
    reason varchar(128),
    bypass_steps json,
    tags jsonb,
    context jsonb,
    identity_hash varchar(128) NOT NULL,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_tasks_on_identity_hash ON tasker_tasks (identity_hash);

CREATE TABLE tasker_workflow_steps (
    workflow_step_id bigserial PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasker_tasks (task_id),
    named_step_id integer NOT NULL REFERENCES tasker_named_steps (named_step_id),
    retryable boolean NOT NULL DEFAULT true,
    retry_limit integer DEFAULT 3,
    in_process boolean NOT NULL DEFAULT false,
    processed boolean NOT NULL DEFAULT false,
    processed_at timestamp,
    attempts integer,
    last_attempted_at timestamp,
    backoff_request_seconds integer,
    inputs jsonb,
    results jsonb,
    skippable boolean NOT NULL DEFAULT false,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE INDEX index_workflow_steps_on_task_id ON tasker_workflow_steps (task_id);
CREATE INDEX index_workflow_steps_on_named_step_id ON tasker_workflow_steps (named_step_id);

CREATE TABLE tasker_workflow_step_edges (
    id bigserial PRIMARY KEY,
    from_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id),
    to_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id),
    name varchar NOT NULL,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE INDEX index_step_edges_from_step ON tasker_workflow_step_edges (from_step_id);
CREATE INDEX index_step_edges_to_step ON tasker_workflow_step_edges (to_step_id);
CREATE INDEX index_step_edges_child_and_parent ON tasker_workflow_step_edges (to_step_id, from_step_id);

CREATE TABLE tasker_workflow_step_transitions (
    id bigserial PRIMARY KEY,
    to_state varchar NOT NULL,
    from_state varchar,
    metadata jsonb DEFAULT '{}',
    sort_key integer NOT NULL,
    most_recent boolean NOT NULL DEFAULT true,
    workflow_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX index_step_transitions_parent_sort ON tasker_workflow_step_transitions (workflow_step_id, sort_key);
CREATE UNIQUE INDEX index_step_transitions_parent_most_recent ON tasker_workflow_step_transitions (workflow_step_id, most_recent) WHERE most_recent;
CREATE INDEX index_step_transitions_current_state ON tasker_workflow_step_transitions (workflow_step_id, most_recent, to_state) WHERE most_recent;
