-- The catalog snapshot tenant_guard.audit() analyses: one JSON document,
-- read in one statement so every part sees the same catalog state.
-- Parsed by core/src/audit/snapshot.rs; policy expressions stay in node-tree
-- text (polqual::text) and are parsed in Rust, never matched as SQL text.
WITH user_schemas AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspacl
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
),
ext_members AS (
  SELECT d.classid, d.objid
  FROM pg_catalog.pg_depend d
  WHERE d.deptype = 'e'
)
SELECT pg_catalog.json_build_object(
  'database_owner', (SELECT datdba FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()),
  'settings', pg_catalog.json_build_object(
    'pgrst_db_schemas', pg_catalog.current_setting('pgrst.db_schemas', true)),
  'roles', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'oid', r.oid, 'name', r.rolname, 'superuser', r.rolsuper, 'bypassrls', r.rolbypassrls,
      'login', r.rolcanlogin, 'inherit', r.rolinherit,
      'member_of', (SELECT coalesce(pg_catalog.json_agg(m.roleid ORDER BY m.roleid), '[]')
                    FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid)) ORDER BY r.rolname), '[]')
    FROM pg_catalog.pg_roles r),
  'schemas', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'oid', s.oid, 'name', s.nspname, 'owner', s.nspowner,
      'extension_member', EXISTS (SELECT 1 FROM ext_members e
                                  WHERE e.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND e.objid = s.oid),
      'acl', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('grantee', a.grantee, 'privilege', a.privilege_type)), '[]')
              FROM pg_catalog.aclexplode(coalesce(s.nspacl, pg_catalog.acldefault('n', s.nspowner))) a)) ORDER BY s.nspname), '[]')
    FROM user_schemas s),
  'tables', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'oid', c.oid, 'schema', s.nspname, 'name', c.relname, 'kind', c.relkind::text, 'owner', c.relowner,
      'rls', c.relrowsecurity, 'force_rls', c.relforcerowsecurity,
      'partition_of', (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition),
      'extension_member', EXISTS (SELECT 1 FROM ext_members e
                                  WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid),
      'security_invoker', coalesce((SELECT pg_catalog.lower(o.option_value) IN ('true', 'on', '1', 'yes')
                                    FROM pg_catalog.pg_options_to_table(c.reloptions) o
                                    WHERE o.option_name = 'security_invoker'), false),
      -- table privileges, and column privileges (a column grant reaches the table too)
      'acl', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('grantee', a.grantee, 'privilege', a.privilege_type)
                                                  ORDER BY a.grantee, a.privilege_type), '[]')
              FROM (SELECT x.grantee, x.privilege_type
                    FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) x
                    UNION
                    SELECT x.grantee, x.privilege_type
                    FROM pg_catalog.pg_attribute att, pg_catalog.aclexplode(att.attacl) x
                    WHERE att.attrelid = c.oid AND att.attacl IS NOT NULL AND NOT att.attisdropped) a),
      -- table-level privileges alone (a column grant does not reach every column)
      'own_acl', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('grantee', x.grantee, 'privilege', x.privilege_type)
                                                      ORDER BY x.grantee, x.privilege_type), '[]')
                  FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) x),
      'columns', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                    'num', a.attnum, 'name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                    'not_null', a.attnotnull,
                    'acl', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('grantee', x.grantee, 'privilege', x.privilege_type)
                                                                ORDER BY x.grantee, x.privilege_type), '[]')
                            FROM pg_catalog.aclexplode(a.attacl) x)) ORDER BY a.attnum), '[]')
                  FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
      'indexes', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                    'name', ic.relname, 'unique', x.indisunique, 'partial', x.indpred IS NOT NULL, 'valid', x.indisvalid,
                    'columns', (SELECT pg_catalog.json_agg(a.attname ORDER BY k.ord)
                                FROM pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY k(attnum, ord)
                                LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum))), '[]')
                  FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
                  WHERE x.indrelid = c.oid),
      'foreign_keys', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                         'name', k.conname, 'columns', k.conkey, 'ref_table', k.confrelid, 'ref_columns', k.confkey)
                         ORDER BY k.conname), '[]')
                       FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f'),
      'view_relations', (SELECT coalesce(pg_catalog.json_agg(DISTINCT d.refobjid), '[]')
                         FROM pg_catalog.pg_rewrite rw
                         JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid
                         WHERE rw.ev_class = c.oid AND c.relkind IN ('v', 'm')
                           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> c.oid)) ORDER BY s.nspname, c.relname), '[]')
    FROM pg_catalog.pg_class c JOIN user_schemas s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')),
  'policies', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'oid', p.oid, 'table', p.polrelid, 'name', p.polname, 'cmd', p.polcmd::text, 'permissive', p.polpermissive,
      'roles', pg_catalog.to_json(p.polroles),
      'qual', p.polqual::text, 'with_check', p.polwithcheck::text,
      'qual_sql', pg_catalog.pg_get_expr(p.polqual, p.polrelid),
      'with_check_sql', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)) ORDER BY s.nspname, c.relname, p.polname), '[]')
    FROM pg_catalog.pg_policy p
    JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN user_schemas s ON s.oid = c.relnamespace),
  'functions', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'oid', f.oid, 'schema', n.nspname, 'name', f.proname, 'signature', f.oid::pg_catalog.regprocedure::text,
      'language', l.lanname, 'security_definer', f.prosecdef, 'volatility', f.provolatile::text,
      'owner', f.proowner, 'kind', f.prokind::text, 'returns', f.prorettype::pg_catalog.regtype::text,
      'config', pg_catalog.to_json(f.proconfig),
      'arg_types', pg_catalog.to_json(f.proargtypes::pg_catalog.oid[]),
      'source', CASE WHEN n.nspname = 'pg_catalog' THEN NULL ELSE f.prosrc END,
      'sql_body', CASE WHEN n.nspname = 'pg_catalog' THEN NULL ELSE f.prosqlbody::text END,
      'extension_member', EXISTS (SELECT 1 FROM ext_members e
                                  WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = f.oid),
      'acl', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('grantee', a.grantee, 'privilege', a.privilege_type)), '[]')
              FROM pg_catalog.aclexplode(coalesce(f.proacl, pg_catalog.acldefault('f', f.proowner))) a)) ORDER BY n.nspname, f.proname, f.oid::pg_catalog.regprocedure::text), '[]')
    FROM pg_catalog.pg_proc f
    JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
    JOIN pg_catalog.pg_language l ON l.oid = f.prolang
    WHERE (n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%')
       -- built-ins that read claims or settings, which policies call directly
       OR (n.nspname = 'pg_catalog' AND f.proname IN (
             'current_setting', 'jsonb_object_field', 'jsonb_object_field_text', 'json_object_field',
             'json_object_field_text', 'jsonb_extract_path', 'jsonb_extract_path_text', 'json_extract_path',
             'json_extract_path_text', 'jsonb_extract_path_op', 'jsonb_extract_path_text_op',
             'current_user', 'session_user', 'coalesce', 'nullif'))),
  'default_acls', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'role', d.defaclrole, 'schema', nullif(d.defaclnamespace, 0), 'objtype', d.defaclobjtype::text,
      'acl', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('grantee', a.grantee, 'privilege', a.privilege_type)), '[]')
              FROM pg_catalog.aclexplode(d.defaclacl) a)) ORDER BY d.defaclrole, d.defaclnamespace, d.defaclobjtype), '[]')
    FROM pg_catalog.pg_default_acl d)
)::text
