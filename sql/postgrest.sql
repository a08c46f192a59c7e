-- PostgREST's schema cache: reload it now, or after every DDL command.
-- PostgREST LISTENs on channel pgrst; 'reload schema' makes it re-read the
-- catalog (seed 000 §4: new tables 404 until the cache is reloaded).

CREATE FUNCTION tenant_guard.reload_postgrest() RETURNS void
  LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT pg_catalog.pg_notify('pgrst', 'reload schema') $$;
COMMENT ON FUNCTION tenant_guard.reload_postgrest() IS
  'NOTIFY pgrst, ''reload schema'': PostgREST reloads its schema cache';

CREATE FUNCTION tenant_guard.notify_postgrest_after_ddl() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
  AS $$ BEGIN PERFORM pg_catalog.pg_notify('pgrst', 'reload schema'); END $$;

-- The event trigger is created here, not by the install script, so pg_dump
-- keeps it with the database; disable_auto_reload() before DROP EXTENSION.
CREATE FUNCTION tenant_guard.enable_auto_reload() RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'tenant_guard_reload_postgrest') THEN
    RETURN 'auto reload was already enabled';
  END IF;
  CREATE EVENT TRIGGER tenant_guard_reload_postgrest ON ddl_command_end
    EXECUTE FUNCTION tenant_guard.notify_postgrest_after_ddl();
  RETURN 'auto reload enabled: PostgREST reloads its schema cache after every DDL command';
END $$;

CREATE FUNCTION tenant_guard.disable_auto_reload() RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'tenant_guard_reload_postgrest') THEN
    RETURN 'auto reload was not enabled';
  END IF;
  DROP EVENT TRIGGER tenant_guard_reload_postgrest;
  RETURN 'auto reload disabled';
END $$;

REVOKE EXECUTE ON FUNCTION tenant_guard.reload_postgrest(), tenant_guard.enable_auto_reload(),
  tenant_guard.disable_auto_reload(), tenant_guard.notify_postgrest_after_ddl() FROM PUBLIC;
