-- The Tasker Rails engine's tables (TASKER-REFERENCE §1), for a database no Rails app created.
-- Column names, types, defaults, sequences (<table>_<pk>_seq), unique indexes and foreign keys
-- follow the Rails schema, so Rails apps and Tasker's SQL functions read what we write.
-- Every statement is IF NOT EXISTS: running it again is harmless.

CREATE TABLE IF NOT EXISTS tasker_task_namespaces (
    task_namespace_id serial PRIMARY KEY,
    name varchar(64) NOT NULL,
    description varchar(255),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS task_namespaces_name_unique ON tasker_task_namespaces (name);

CREATE TABLE IF NOT EXISTS tasker_dependent_systems (
    dependent_system_id serial PRIMARY KEY,
    name varchar(64) NOT NULL,
    description varchar(255),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS dependent_systems_name_unique ON tasker_dependent_systems (name);

CREATE TABLE IF NOT EXISTS tasker_dependent_system_object_maps (
    dependent_system_object_map_id bigserial PRIMARY KEY,
    dependent_system_one_id integer NOT NULL REFERENCES tasker_dependent_systems (dependent_system_id),
    dependent_system_two_id integer NOT NULL REFERENCES tasker_dependent_systems (dependent_system_id),
    remote_id_one varchar(128) NOT NULL,
    remote_id_two varchar(128) NOT NULL,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS dependent_system_object_maps_dependent_system_one_id_dependent_ ON tasker_dependent_system_object_maps
    (dependent_system_one_id, dependent_system_two_id, remote_id_one, remote_id_two);

CREATE TABLE IF NOT EXISTS tasker_named_steps (
    named_step_id serial PRIMARY KEY,
    dependent_system_id integer NOT NULL REFERENCES tasker_dependent_systems (dependent_system_id),
    name varchar(128) NOT NULL,
    description varchar(255),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS named_step_by_system_uniq ON tasker_named_steps (dependent_system_id, name);
CREATE INDEX IF NOT EXISTS named_steps_name_index ON tasker_named_steps (name);

CREATE TABLE IF NOT EXISTS tasker_named_tasks (
    named_task_id serial PRIMARY KEY,
    name varchar(64) NOT NULL,
    description varchar(255),
    task_namespace_id bigint NOT NULL DEFAULT 1 REFERENCES tasker_task_namespaces (task_namespace_id),
    version varchar(16) NOT NULL DEFAULT '0.1.0',
    configuration jsonb,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS index_named_tasks_on_namespace_name_version ON tasker_named_tasks (task_namespace_id, name, version);
CREATE INDEX IF NOT EXISTS index_named_tasks_on_task_namespace_id ON tasker_named_tasks (task_namespace_id);

CREATE TABLE IF NOT EXISTS tasker_named_tasks_named_steps (
    id serial PRIMARY KEY,
    named_task_id integer NOT NULL REFERENCES tasker_named_tasks (named_task_id),
    named_step_id integer NOT NULL REFERENCES tasker_named_steps (named_step_id),
    skippable boolean NOT NULL DEFAULT false,
    default_retryable boolean NOT NULL DEFAULT true,
    default_retry_limit integer NOT NULL DEFAULT 3,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS named_tasks_steps_ids_unique ON tasker_named_tasks_named_steps (named_task_id, named_step_id);
CREATE INDEX IF NOT EXISTS named_tasks_named_steps_named_step_id_index ON tasker_named_tasks_named_steps (named_step_id);

CREATE TABLE IF NOT EXISTS tasker_tasks (
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
CREATE UNIQUE INDEX IF NOT EXISTS index_tasks_on_identity_hash ON tasker_tasks (identity_hash);
CREATE INDEX IF NOT EXISTS tasks_named_task_id_index ON tasker_tasks (named_task_id);
CREATE INDEX IF NOT EXISTS tasks_requested_at_index ON tasker_tasks (requested_at);

CREATE TABLE IF NOT EXISTS tasker_workflow_steps (
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
CREATE INDEX IF NOT EXISTS workflow_steps_task_id_index ON tasker_workflow_steps (task_id);
CREATE INDEX IF NOT EXISTS workflow_steps_named_step_id_index ON tasker_workflow_steps (named_step_id);

CREATE TABLE IF NOT EXISTS tasker_workflow_step_edges (
    id bigserial PRIMARY KEY,
    from_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id),
    to_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id),
    name varchar NOT NULL,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS index_step_edges_from_step ON tasker_workflow_step_edges (from_step_id);
CREATE INDEX IF NOT EXISTS index_step_edges_to_step ON tasker_workflow_step_edges (to_step_id);

CREATE TABLE IF NOT EXISTS tasker_task_transitions (
    id bigserial PRIMARY KEY,
    to_state varchar NOT NULL,
    from_state varchar,
    metadata jsonb DEFAULT '{}'::jsonb,
    sort_key integer NOT NULL,
    most_recent boolean NOT NULL DEFAULT true,
    task_id bigint NOT NULL REFERENCES tasker_tasks (task_id),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS index_task_transitions_parent_sort ON tasker_task_transitions (task_id, sort_key);
CREATE UNIQUE INDEX IF NOT EXISTS index_task_transitions_parent_most_recent ON tasker_task_transitions (task_id, most_recent) WHERE most_recent;

CREATE TABLE IF NOT EXISTS tasker_workflow_step_transitions (
    id bigserial PRIMARY KEY,
    to_state varchar NOT NULL,
    from_state varchar,
    metadata jsonb DEFAULT '{}'::jsonb,
    sort_key integer NOT NULL,
    most_recent boolean NOT NULL DEFAULT true,
    workflow_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS index_step_transitions_parent_sort ON tasker_workflow_step_transitions (workflow_step_id, sort_key);
CREATE UNIQUE INDEX IF NOT EXISTS index_step_transitions_parent_most_recent ON tasker_workflow_step_transitions (workflow_step_id, most_recent) WHERE most_recent;

CREATE TABLE IF NOT EXISTS tasker_annotation_types (
    annotation_type_id serial PRIMARY KEY,
    name varchar(64) NOT NULL,
    description varchar(255),
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS annotation_types_name_unique ON tasker_annotation_types (name);

CREATE TABLE IF NOT EXISTS tasker_task_annotations (
    task_annotation_id bigserial PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasker_tasks (task_id),
    annotation_type_id integer NOT NULL REFERENCES tasker_annotation_types (annotation_type_id),
    annotation jsonb,
    created_at timestamp(6) NOT NULL,
    updated_at timestamp(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS task_annotations_task_id_index ON tasker_task_annotations (task_id);
CREATE INDEX IF NOT EXISTS task_annotations_annotation_type_id_index ON tasker_task_annotations (annotation_type_id);
