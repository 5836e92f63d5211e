-- Tasker's SQL surface (the functions and the DAG view a Rails app and the engine's analytics
-- endpoints call) for a database our migrations created. The definitions live in
-- surface/tasker_sql_surface.sql (also migrations.SurfaceSQL); a later migration that changes them
-- includes that file again.
{{ template "surface/tasker_sql_surface.sql" . }}
