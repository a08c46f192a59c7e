-- PostgREST's schema cache: reload it now, or after every DDL command.
-- PostgREST LISTENs on channel pgrst; 'reload schema' makes it re-read the
-- catalog (seed 000 §4: new tables 404 until the cache is reloaded).

CREATE FUNCTION tenant_guard.reload_postgrest() RETURNS void
  LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT pg_catalog.pg_notify('pgrst', 'reload schema') $$;
COMMENT ON FUNCTION tenant_guard.reload_postgrest() IS
  'NOTIFY pgrst, ''reload schema'': PostgREST reloads its schema cache';

-- After DDL: tables and views just created get the configured grants (when
-- tenant_guard.auto_grant_role is set; their serial sequences too, for
-- INSERT), then PostgREST is told to reload.
CREATE FUNCTION tenant_guard.notify_postgrest_after_ddl() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  grantee text := nullif(current_setting('tenant_guard.auto_grant_role', true), '');
  privs text := coalesce(nullif(current_setting('tenant_guard.auto_grant_privileges', true), ''),
                         'SELECT, INSERT, UPDATE, DELETE');
  r record;
  s oid;
BEGIN
  IF grantee IS NOT NULL THEN
    IF privs !~* '^\s*(SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER)(\s*,\s*(SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER))*\s*$' THEN
      RAISE EXCEPTION 'tenant_guard.auto_grant_privileges is not a list of table privileges: %', privs
        USING ERRCODE = '22023';
    END IF;
    FOR r IN
      SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() c
      WHERE c.classid = 'pg_class'::regclass AND c.objsubid = 0
        AND c.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE VIEW')
        -- never an extension's own tables (ALTER EXTENSION ... UPDATE creates
        -- tenant_guard.signing_keys, which only superusers may touch)
        AND NOT c.in_extension
    LOOP
      EXECUTE format('GRANT %s ON %s TO %I', privs, r.objid::regclass, grantee);
      IF privs ~* 'INSERT' THEN
        FOR s IN SELECT d.objid FROM pg_depend d JOIN pg_class q ON q.oid = d.objid
                 WHERE d.refobjid = r.objid AND d.classid = 'pg_class'::regclass
                   AND q.relkind = 'S' AND d.deptype IN ('a', 'i')
        LOOP
          EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', s::regclass, grantee);
        END LOOP;
      END IF;
    END LOOP;
  END IF;
  PERFORM pg_catalog.pg_notify('pgrst', 'reload schema');
END $$;

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
