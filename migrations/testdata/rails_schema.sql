-- A Rails-created Tasker schema, as `rails db:structure:dump` / Tasker's db/init/schema.sql leave it
-- (pg_dump format: explicit sequences, ALTER TABLE ... SET DEFAULT nextval, named constraints),
-- written from TASKER-REFERENCE §1. Tests load it to check that migrations.Ensure recognises a
-- Rails database and issues no DDL. It carries Rails' own bookkeeping tables (schema_migrations,
-- ar_internal_metadata) and the tasker_step_dag_relationships view; tests add the SQL functions
-- (ours, migrations.SurfaceSQL, which also replaces the view) after loading it. It has neither
-- tasker_temporal_schema_version nor tasker_temporal_mirror.


--
-- Name: tasker_annotation_types; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_annotation_types (
    annotation_type_id integer NOT NULL,
    name character varying(64) NOT NULL,
    description character varying(255),
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_annotation_types_annotation_type_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_annotation_types_annotation_type_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_annotation_types_annotation_type_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_annotation_types_annotation_type_id_seq OWNED BY public.tasker_annotation_types.annotation_type_id;

--
-- Name: tasker_dependent_system_object_maps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_dependent_system_object_maps (
    dependent_system_object_map_id bigint NOT NULL,
    dependent_system_one_id integer NOT NULL,
    dependent_system_two_id integer NOT NULL,
    remote_id_one character varying(128) NOT NULL,
    remote_id_two character varying(128) NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_dependent_system_objec_dependent_system_object_map_i_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_dependent_system_objec_dependent_system_object_map_i_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_dependent_system_objec_dependent_system_object_map_i_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_dependent_system_objec_dependent_system_object_map_i_seq OWNED BY public.tasker_dependent_system_object_maps.dependent_system_object_map_id;

--
-- Name: tasker_dependent_systems; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_dependent_systems (
    dependent_system_id integer NOT NULL,
    name character varying(64) NOT NULL,
    description character varying(255),
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_dependent_systems_dependent_system_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_dependent_systems_dependent_system_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_dependent_systems_dependent_system_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_dependent_systems_dependent_system_id_seq OWNED BY public.tasker_dependent_systems.dependent_system_id;

--
-- Name: tasker_named_steps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_named_steps (
    named_step_id integer NOT NULL,
    dependent_system_id integer NOT NULL,
    name character varying(128) NOT NULL,
    description character varying(255),
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_named_steps_named_step_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_named_steps_named_step_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_named_steps_named_step_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_named_steps_named_step_id_seq OWNED BY public.tasker_named_steps.named_step_id;

--
-- Name: tasker_named_tasks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_named_tasks (
    named_task_id integer NOT NULL,
    name character varying(64) NOT NULL,
    description character varying(255),
    task_namespace_id bigint DEFAULT 1 NOT NULL,
    version character varying(16) DEFAULT '0.1.0'::character varying NOT NULL,
    configuration jsonb,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_named_tasks_named_steps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_named_tasks_named_steps (
    id integer NOT NULL,
    named_task_id integer NOT NULL,
    named_step_id integer NOT NULL,
    skippable boolean DEFAULT false NOT NULL,
    default_retryable boolean DEFAULT true NOT NULL,
    default_retry_limit integer DEFAULT 3 NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_named_tasks_named_steps_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_named_tasks_named_steps_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_named_tasks_named_steps_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_named_tasks_named_steps_id_seq OWNED BY public.tasker_named_tasks_named_steps.id;

--
-- Name: tasker_named_tasks_named_task_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_named_tasks_named_task_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_named_tasks_named_task_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_named_tasks_named_task_id_seq OWNED BY public.tasker_named_tasks.named_task_id;

--
-- Name: tasker_task_annotations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_task_annotations (
    task_annotation_id bigint NOT NULL,
    task_id bigint NOT NULL,
    annotation_type_id integer NOT NULL,
    annotation jsonb,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_task_annotations_task_annotation_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_task_annotations_task_annotation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_task_annotations_task_annotation_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_task_annotations_task_annotation_id_seq OWNED BY public.tasker_task_annotations.task_annotation_id;

--
-- Name: tasker_task_namespaces; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_task_namespaces (
    task_namespace_id integer NOT NULL,
    name character varying(64) NOT NULL,
    description character varying(255),
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_task_namespaces_task_namespace_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_task_namespaces_task_namespace_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_task_namespaces_task_namespace_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_task_namespaces_task_namespace_id_seq OWNED BY public.tasker_task_namespaces.task_namespace_id;

--
-- Name: tasker_task_transitions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_task_transitions (
    id bigint NOT NULL,
    to_state character varying NOT NULL,
    from_state character varying,
    metadata jsonb DEFAULT '{}'::jsonb,
    sort_key integer NOT NULL,
    most_recent boolean DEFAULT true NOT NULL,
    task_id bigint NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_task_transitions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_task_transitions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_task_transitions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_task_transitions_id_seq OWNED BY public.tasker_task_transitions.id;

--
-- Name: tasker_tasks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_tasks (
    task_id bigint NOT NULL,
    named_task_id integer NOT NULL,
    complete boolean DEFAULT false NOT NULL,
    requested_at timestamp without time zone NOT NULL,
    initiator character varying(128),
    source_system character varying(128),
    reason character varying(128),
    bypass_steps json,
    tags jsonb,
    context jsonb,
    identity_hash character varying(128) NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_tasks_task_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_tasks_task_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_tasks_task_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_tasks_task_id_seq OWNED BY public.tasker_tasks.task_id;

--
-- Name: tasker_workflow_step_edges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_workflow_step_edges (
    id bigint NOT NULL,
    from_step_id bigint NOT NULL,
    to_step_id bigint NOT NULL,
    name character varying NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_workflow_step_edges_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_workflow_step_edges_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_workflow_step_edges_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_workflow_step_edges_id_seq OWNED BY public.tasker_workflow_step_edges.id;

--
-- Name: tasker_workflow_step_transitions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_workflow_step_transitions (
    id bigint NOT NULL,
    to_state character varying NOT NULL,
    from_state character varying,
    metadata jsonb DEFAULT '{}'::jsonb,
    sort_key integer NOT NULL,
    most_recent boolean DEFAULT true NOT NULL,
    workflow_step_id bigint NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_workflow_step_transitions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_workflow_step_transitions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_workflow_step_transitions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_workflow_step_transitions_id_seq OWNED BY public.tasker_workflow_step_transitions.id;

--
-- Name: tasker_workflow_steps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasker_workflow_steps (
    workflow_step_id bigint NOT NULL,
    task_id bigint NOT NULL,
    named_step_id integer NOT NULL,
    retryable boolean DEFAULT true NOT NULL,
    retry_limit integer DEFAULT 3,
    in_process boolean DEFAULT false NOT NULL,
    processed boolean DEFAULT false NOT NULL,
    processed_at timestamp without time zone,
    attempts integer,
    last_attempted_at timestamp without time zone,
    backoff_request_seconds integer,
    inputs jsonb,
    results jsonb,
    skippable boolean DEFAULT false NOT NULL,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL
);

--
-- Name: tasker_workflow_steps_workflow_step_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tasker_workflow_steps_workflow_step_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: tasker_workflow_steps_workflow_step_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tasker_workflow_steps_workflow_step_id_seq OWNED BY public.tasker_workflow_steps.workflow_step_id;

--
-- Name: tasker_annotation_types annotation_type_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_annotation_types ALTER COLUMN annotation_type_id SET DEFAULT nextval('public.tasker_annotation_types_annotation_type_id_seq'::regclass);

--
-- Name: tasker_dependent_system_object_maps dependent_system_object_map_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_dependent_system_object_maps ALTER COLUMN dependent_system_object_map_id SET DEFAULT nextval('public.tasker_dependent_system_objec_dependent_system_object_map_i_seq'::regclass);

--
-- Name: tasker_dependent_systems dependent_system_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_dependent_systems ALTER COLUMN dependent_system_id SET DEFAULT nextval('public.tasker_dependent_systems_dependent_system_id_seq'::regclass);

--
-- Name: tasker_named_steps named_step_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_steps ALTER COLUMN named_step_id SET DEFAULT nextval('public.tasker_named_steps_named_step_id_seq'::regclass);

--
-- Name: tasker_named_tasks named_task_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_tasks ALTER COLUMN named_task_id SET DEFAULT nextval('public.tasker_named_tasks_named_task_id_seq'::regclass);

--
-- Name: tasker_named_tasks_named_steps id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_tasks_named_steps ALTER COLUMN id SET DEFAULT nextval('public.tasker_named_tasks_named_steps_id_seq'::regclass);

--
-- Name: tasker_task_annotations task_annotation_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_annotations ALTER COLUMN task_annotation_id SET DEFAULT nextval('public.tasker_task_annotations_task_annotation_id_seq'::regclass);

--
-- Name: tasker_task_namespaces task_namespace_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_namespaces ALTER COLUMN task_namespace_id SET DEFAULT nextval('public.tasker_task_namespaces_task_namespace_id_seq'::regclass);

--
-- Name: tasker_task_transitions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_transitions ALTER COLUMN id SET DEFAULT nextval('public.tasker_task_transitions_id_seq'::regclass);

--
-- Name: tasker_tasks task_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_tasks ALTER COLUMN task_id SET DEFAULT nextval('public.tasker_tasks_task_id_seq'::regclass);

--
-- Name: tasker_workflow_step_edges id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_step_edges ALTER COLUMN id SET DEFAULT nextval('public.tasker_workflow_step_edges_id_seq'::regclass);

--
-- Name: tasker_workflow_step_transitions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_step_transitions ALTER COLUMN id SET DEFAULT nextval('public.tasker_workflow_step_transitions_id_seq'::regclass);

--
-- Name: tasker_workflow_steps workflow_step_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_steps ALTER COLUMN workflow_step_id SET DEFAULT nextval('public.tasker_workflow_steps_workflow_step_id_seq'::regclass);

--
-- Name: tasker_annotation_types tasker_annotation_types_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_annotation_types
    ADD CONSTRAINT tasker_annotation_types_pkey PRIMARY KEY (annotation_type_id);

--
-- Name: tasker_dependent_system_object_maps tasker_dependent_system_object_maps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_dependent_system_object_maps
    ADD CONSTRAINT tasker_dependent_system_object_maps_pkey PRIMARY KEY (dependent_system_object_map_id);

--
-- Name: tasker_dependent_systems tasker_dependent_systems_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_dependent_systems
    ADD CONSTRAINT tasker_dependent_systems_pkey PRIMARY KEY (dependent_system_id);

--
-- Name: tasker_named_steps tasker_named_steps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_steps
    ADD CONSTRAINT tasker_named_steps_pkey PRIMARY KEY (named_step_id);

--
-- Name: tasker_named_tasks_named_steps tasker_named_tasks_named_steps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_tasks_named_steps
    ADD CONSTRAINT tasker_named_tasks_named_steps_pkey PRIMARY KEY (id);

--
-- Name: tasker_named_tasks tasker_named_tasks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_tasks
    ADD CONSTRAINT tasker_named_tasks_pkey PRIMARY KEY (named_task_id);

--
-- Name: tasker_task_annotations tasker_task_annotations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_annotations
    ADD CONSTRAINT tasker_task_annotations_pkey PRIMARY KEY (task_annotation_id);

--
-- Name: tasker_task_namespaces tasker_task_namespaces_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_namespaces
    ADD CONSTRAINT tasker_task_namespaces_pkey PRIMARY KEY (task_namespace_id);

--
-- Name: tasker_task_transitions tasker_task_transitions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_transitions
    ADD CONSTRAINT tasker_task_transitions_pkey PRIMARY KEY (id);

--
-- Name: tasker_tasks tasker_tasks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_tasks
    ADD CONSTRAINT tasker_tasks_pkey PRIMARY KEY (task_id);

--
-- Name: tasker_workflow_step_edges tasker_workflow_step_edges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_step_edges
    ADD CONSTRAINT tasker_workflow_step_edges_pkey PRIMARY KEY (id);

--
-- Name: tasker_workflow_step_transitions tasker_workflow_step_transitions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_step_transitions
    ADD CONSTRAINT tasker_workflow_step_transitions_pkey PRIMARY KEY (id);

--
-- Name: tasker_workflow_steps tasker_workflow_steps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_steps
    ADD CONSTRAINT tasker_workflow_steps_pkey PRIMARY KEY (workflow_step_id);

--
-- Name: annotation_types_name_unique; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX annotation_types_name_unique ON public.tasker_annotation_types USING btree (name);

--
-- Name: dependent_system_object_maps_dependent_system_one_id_dependent_; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dependent_system_object_maps_dependent_system_one_id_dependent_ ON public.tasker_dependent_system_object_maps USING btree (dependent_system_one_id, dependent_system_two_id, remote_id_one, remote_id_two);

--
-- Name: dependent_systems_name_unique; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dependent_systems_name_unique ON public.tasker_dependent_systems USING btree (name);

--
-- Name: index_named_tasks_on_namespace_name_version; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_named_tasks_on_namespace_name_version ON public.tasker_named_tasks USING btree (task_namespace_id, name, version);

--
-- Name: index_named_tasks_on_task_namespace_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX index_named_tasks_on_task_namespace_id ON public.tasker_named_tasks USING btree (task_namespace_id);

--
-- Name: index_step_edges_from_step; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX index_step_edges_from_step ON public.tasker_workflow_step_edges USING btree (from_step_id);

--
-- Name: index_step_edges_to_step; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX index_step_edges_to_step ON public.tasker_workflow_step_edges USING btree (to_step_id);

--
-- Name: index_step_transitions_parent_most_recent; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_step_transitions_parent_most_recent ON public.tasker_workflow_step_transitions USING btree (workflow_step_id, most_recent) WHERE most_recent;

--
-- Name: index_step_transitions_parent_sort; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_step_transitions_parent_sort ON public.tasker_workflow_step_transitions USING btree (workflow_step_id, sort_key);

--
-- Name: index_task_transitions_parent_most_recent; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_task_transitions_parent_most_recent ON public.tasker_task_transitions USING btree (task_id, most_recent) WHERE most_recent;

--
-- Name: index_task_transitions_parent_sort; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_task_transitions_parent_sort ON public.tasker_task_transitions USING btree (task_id, sort_key);

--
-- Name: index_tasks_on_identity_hash; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX index_tasks_on_identity_hash ON public.tasker_tasks USING btree (identity_hash);

--
-- Name: named_step_by_system_uniq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX named_step_by_system_uniq ON public.tasker_named_steps USING btree (dependent_system_id, name);

--
-- Name: named_steps_name_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX named_steps_name_index ON public.tasker_named_steps USING btree (name);

--
-- Name: named_tasks_named_steps_named_step_id_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX named_tasks_named_steps_named_step_id_index ON public.tasker_named_tasks_named_steps USING btree (named_step_id);

--
-- Name: named_tasks_steps_ids_unique; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX named_tasks_steps_ids_unique ON public.tasker_named_tasks_named_steps USING btree (named_task_id, named_step_id);

--
-- Name: task_annotations_annotation_type_id_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX task_annotations_annotation_type_id_index ON public.tasker_task_annotations USING btree (annotation_type_id);

--
-- Name: task_annotations_task_id_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX task_annotations_task_id_index ON public.tasker_task_annotations USING btree (task_id);

--
-- Name: task_namespaces_name_unique; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX task_namespaces_name_unique ON public.tasker_task_namespaces USING btree (name);

--
-- Name: tasks_named_task_id_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tasks_named_task_id_index ON public.tasker_tasks USING btree (named_task_id);

--
-- Name: tasks_requested_at_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tasks_requested_at_index ON public.tasker_tasks USING btree (requested_at);

--
-- Name: workflow_steps_named_step_id_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX workflow_steps_named_step_id_index ON public.tasker_workflow_steps USING btree (named_step_id);

--
-- Name: workflow_steps_task_id_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX workflow_steps_task_id_index ON public.tasker_workflow_steps USING btree (task_id);

--
-- Name: tasker_dependent_system_object_maps tasker_dependent_system_object_map_dependent_system_one_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_dependent_system_object_maps
    ADD CONSTRAINT tasker_dependent_system_object_map_dependent_system_one_id_fkey FOREIGN KEY (dependent_system_one_id) REFERENCES public.tasker_dependent_systems(dependent_system_id);

--
-- Name: tasker_dependent_system_object_maps tasker_dependent_system_object_map_dependent_system_two_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_dependent_system_object_maps
    ADD CONSTRAINT tasker_dependent_system_object_map_dependent_system_two_id_fkey FOREIGN KEY (dependent_system_two_id) REFERENCES public.tasker_dependent_systems(dependent_system_id);

--
-- Name: tasker_named_steps tasker_named_steps_dependent_system_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_steps
    ADD CONSTRAINT tasker_named_steps_dependent_system_id_fkey FOREIGN KEY (dependent_system_id) REFERENCES public.tasker_dependent_systems(dependent_system_id);

--
-- Name: tasker_named_tasks_named_steps tasker_named_tasks_named_steps_named_step_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_tasks_named_steps
    ADD CONSTRAINT tasker_named_tasks_named_steps_named_step_id_fkey FOREIGN KEY (named_step_id) REFERENCES public.tasker_named_steps(named_step_id);

--
-- Name: tasker_named_tasks_named_steps tasker_named_tasks_named_steps_named_task_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_tasks_named_steps
    ADD CONSTRAINT tasker_named_tasks_named_steps_named_task_id_fkey FOREIGN KEY (named_task_id) REFERENCES public.tasker_named_tasks(named_task_id);

--
-- Name: tasker_named_tasks tasker_named_tasks_task_namespace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_named_tasks
    ADD CONSTRAINT tasker_named_tasks_task_namespace_id_fkey FOREIGN KEY (task_namespace_id) REFERENCES public.tasker_task_namespaces(task_namespace_id);

--
-- Name: tasker_task_annotations tasker_task_annotations_annotation_type_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_annotations
    ADD CONSTRAINT tasker_task_annotations_annotation_type_id_fkey FOREIGN KEY (annotation_type_id) REFERENCES public.tasker_annotation_types(annotation_type_id);

--
-- Name: tasker_task_annotations tasker_task_annotations_task_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_annotations
    ADD CONSTRAINT tasker_task_annotations_task_id_fkey FOREIGN KEY (task_id) REFERENCES public.tasker_tasks(task_id);

--
-- Name: tasker_task_transitions tasker_task_transitions_task_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_task_transitions
    ADD CONSTRAINT tasker_task_transitions_task_id_fkey FOREIGN KEY (task_id) REFERENCES public.tasker_tasks(task_id);

--
-- Name: tasker_tasks tasker_tasks_named_task_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_tasks
    ADD CONSTRAINT tasker_tasks_named_task_id_fkey FOREIGN KEY (named_task_id) REFERENCES public.tasker_named_tasks(named_task_id);

--
-- Name: tasker_workflow_step_edges tasker_workflow_step_edges_from_step_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_step_edges
    ADD CONSTRAINT tasker_workflow_step_edges_from_step_id_fkey FOREIGN KEY (from_step_id) REFERENCES public.tasker_workflow_steps(workflow_step_id);

--
-- Name: tasker_workflow_step_edges tasker_workflow_step_edges_to_step_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_step_edges
    ADD CONSTRAINT tasker_workflow_step_edges_to_step_id_fkey FOREIGN KEY (to_step_id) REFERENCES public.tasker_workflow_steps(workflow_step_id);

--
-- Name: tasker_workflow_step_transitions tasker_workflow_step_transitions_workflow_step_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_step_transitions
    ADD CONSTRAINT tasker_workflow_step_transitions_workflow_step_id_fkey FOREIGN KEY (workflow_step_id) REFERENCES public.tasker_workflow_steps(workflow_step_id);

--
-- Name: tasker_workflow_steps tasker_workflow_steps_named_step_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_steps
    ADD CONSTRAINT tasker_workflow_steps_named_step_id_fkey FOREIGN KEY (named_step_id) REFERENCES public.tasker_named_steps(named_step_id);

--
-- Name: tasker_workflow_steps tasker_workflow_steps_task_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasker_workflow_steps
    ADD CONSTRAINT tasker_workflow_steps_task_id_fkey FOREIGN KEY (task_id) REFERENCES public.tasker_tasks(task_id);

--
--


--
-- Rails bookkeeping
--

CREATE TABLE public.schema_migrations (
    version character varying NOT NULL,
    CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
);

CREATE TABLE public.ar_internal_metadata (
    key character varying NOT NULL,
    value character varying,
    created_at timestamp(6) without time zone NOT NULL,
    updated_at timestamp(6) without time zone NOT NULL,
    CONSTRAINT ar_internal_metadata_pkey PRIMARY KEY (key)
);

INSERT INTO public.schema_migrations (version) VALUES ('20210826013425'), ('20250115000001');
INSERT INTO public.ar_internal_metadata (key, value, created_at, updated_at)
VALUES ('environment', 'development', now(), now());

--
-- The DAG view Tasker ships: parents and children of every step, and its shortest distance from a
-- root (searched up to 50 edges), with the engine's column names and types.
--

CREATE VIEW public.tasker_step_dag_relationships AS
SELECT ws.workflow_step_id,
       ws.task_id,
       ws.named_step_id,
       COALESCE(parents.parent_ids, '[]'::jsonb) AS parent_step_ids,
       COALESCE(children.child_ids, '[]'::jsonb) AS child_step_ids,
       COALESCE(parents.parent_count, 0::bigint) AS parent_count,
       COALESCE(children.child_count, 0::bigint) AS child_count,
       COALESCE(parents.parent_count, 0) = 0 AS is_root_step,
       COALESCE(children.child_count, 0) = 0 AS is_leaf_step,
       depths.min_depth_from_root
FROM public.tasker_workflow_steps ws
LEFT JOIN (SELECT e.to_step_id, jsonb_agg(e.from_step_id ORDER BY e.from_step_id) AS parent_ids,
                  count(*) AS parent_count
           FROM public.tasker_workflow_step_edges e GROUP BY e.to_step_id) parents
       ON parents.to_step_id = ws.workflow_step_id
LEFT JOIN (SELECT e.from_step_id, jsonb_agg(e.to_step_id ORDER BY e.to_step_id) AS child_ids,
                  count(*) AS child_count
           FROM public.tasker_workflow_step_edges e GROUP BY e.from_step_id) children
       ON children.from_step_id = ws.workflow_step_id
LEFT JOIN (WITH RECURSIVE down_from_roots (step_id, depth) AS (
               SELECT r.workflow_step_id, 0 FROM public.tasker_workflow_steps r
               WHERE NOT EXISTS (SELECT 1 FROM public.tasker_workflow_step_edges e WHERE e.to_step_id = r.workflow_step_id)
               UNION
               SELECT e.to_step_id, d.depth + 1 FROM down_from_roots d
               JOIN public.tasker_workflow_step_edges e ON e.from_step_id = d.step_id
               WHERE d.depth < 50)
           SELECT step_id, min(depth) AS min_depth_from_root FROM down_from_roots GROUP BY step_id) depths
       ON depths.step_id = ws.workflow_step_id;
