-- tenant_guard.apply_grants: what a client role needs to reach tenant tables
-- through PostgREST (seed 000 §3: USAGE on the schema is not enough).
-- PL/pgSQL: it only inspects privileges and issues GRANTs, as the caller.

CREATE FUNCTION tenant_guard.apply_grants(
  schemas text[],
  role name DEFAULT 'authenticated',
  privileges text DEFAULT 'SELECT, INSERT, UPDATE, DELETE'
) RETURNS TABLE (object text, privilege text, statement text, status text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  allowed constant text[] := '{SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER}';
  privs text[];
  p text;
  s text;
  r record;
  missing text[];
  stmt text;
  seq_privs text[];
BEGIN
  IF schemas IS NULL OR cardinality(schemas) = 0 THEN
    RAISE EXCEPTION 'schemas is empty' USING ERRCODE = '22023',
      HINT = 'Name the schemas your API exposes, e.g. ''{public}''.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN
    RAISE EXCEPTION 'role "%" does not exist', role USING ERRCODE = '42704',
      HINT = 'Pass the role your clients use, e.g. ''authenticated''.';
  END IF;
  SELECT array_agg(DISTINCT upper(btrim(x))) INTO privs
  FROM unnest(string_to_array(privileges, ',')) x WHERE btrim(x) <> '';
  IF privs IS NULL THEN
    RAISE EXCEPTION 'privileges is empty' USING ERRCODE = '22023',
      HINT = 'e.g. ''SELECT, INSERT, UPDATE, DELETE''.';
  END IF;
  FOREACH p IN ARRAY privs LOOP
    IF NOT p = ANY (allowed) THEN
      RAISE EXCEPTION 'unknown table privilege "%"', p USING ERRCODE = '22023',
        HINT = 'Table privileges: ' || array_to_string(allowed, ', ');
    END IF;
  END LOOP;
  SELECT array_agg(x ORDER BY array_position(allowed, x)) INTO privs FROM unnest(privs) x;
  -- Sequences behind serial/identity columns: USAGE and SELECT when rows are inserted.
  seq_privs := CASE WHEN 'INSERT' = ANY (privs) THEN '{USAGE,SELECT}'::text[] ELSE '{SELECT}'::text[] END;

  FOREACH s IN ARRAY schemas LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s) THEN
      RAISE EXCEPTION 'schema "%" does not exist', s USING ERRCODE = '3F000';
    END IF;

    object := quote_ident(s); privilege := 'USAGE';
    statement := format('GRANT USAGE ON SCHEMA %I TO %I', s, role);
    IF has_schema_privilege(role, s, 'USAGE') THEN
      status := 'in place';
    ELSE
      EXECUTE statement; status := 'granted';
    END IF;
    RETURN NEXT;

    FOR r IN
      SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = s AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                        AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY c.relname
    LOOP
      IF r.relkind = 'S' THEN
        SELECT array_agg(x ORDER BY x DESC) INTO missing FROM unnest(seq_privs) x
        WHERE NOT has_sequence_privilege(role, r.oid, x);
        statement := format('GRANT %s ON SEQUENCE %s TO %I', array_to_string(missing, ', '), r.name, role);
        privilege := array_to_string(seq_privs, ', ');
      ELSE
        SELECT array_agg(x ORDER BY array_position(allowed, x)) INTO missing FROM unnest(privs) x
        WHERE NOT has_table_privilege(role, r.oid, x)
          AND (r.relkind <> 'm' OR x = 'SELECT');   -- a materialized view is only read
        statement := format('GRANT %s ON TABLE %s TO %I', array_to_string(missing, ', '), r.name, role);
        privilege := array_to_string(CASE WHEN r.relkind = 'm' THEN '{SELECT}' ELSE privs END, ', ');
      END IF;
      object := r.name;
      IF missing IS NULL THEN
        statement := NULL; status := 'in place';
      ELSE
        EXECUTE statement; status := 'granted';
      END IF;
      RETURN NEXT;
    END LOOP;

    -- Tables and sequences the caller creates later in this schema.
    FOR r IN SELECT * FROM (VALUES ('r', 'TABLES', privs), ('S', 'SEQUENCES', seq_privs)) v(objtype, word, wanted) LOOP
      SELECT array_agg(x ORDER BY x) INTO missing FROM unnest(r.wanted) x
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_default_acl d, aclexplode(d.defaclacl) a
        WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND d.defaclnamespace = (SELECT oid FROM pg_namespace WHERE nspname = s)
          AND d.defaclobjtype = r.objtype::"char"
          AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = role)
          AND a.privilege_type = x);
      object := format('future %s in %I created by %I', lower(r.word), s, current_user);
      privilege := array_to_string(r.wanted, ', ');
      IF missing IS NULL THEN
        statement := NULL; status := 'in place';
      ELSE
        statement := format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT %s ON %s TO %I',
                            s, array_to_string(missing, ', '), r.word, role);
        EXECUTE statement; status := 'granted';
      END IF;
      RETURN NEXT;
    END LOOP;
  END LOOP;
END $$;
COMMENT ON FUNCTION tenant_guard.apply_grants(text[], name, text) IS
  'USAGE on the schemas, privileges on their tables and sequences, and default privileges for future ones; idempotent';
