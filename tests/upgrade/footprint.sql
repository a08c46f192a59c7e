-- Everything CREATE EXTENSION tenant_guard leaves in a database, one line per
-- object, in a form that does not depend on OIDs: an upgraded database must
-- print exactly what a fresh install of the same version prints.
\pset format unaligned
\pset tuples_only on
WITH ext AS (SELECT oid, extversion, extconfig, extcondition, extnamespace FROM pg_extension WHERE extname = 'tenant_guard'),
members AS (
  SELECT d.classid, d.objid, d.objsubid FROM pg_depend d, ext
  WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT line FROM (
  SELECT 'version ' || extversion AS line FROM ext
  UNION ALL
  SELECT 'config dump ' || coalesce((SELECT string_agg(c::regclass::text || ' ' || coalesce(w, ''), ', ' ORDER BY c::regclass::text)
                                     FROM unnest(extconfig, extcondition) AS u(c, w)), '-')
  FROM ext
  UNION ALL
  SELECT 'extension schema ' || n.nspname || ' owner=' || n.nspowner::regrole || ' acl=' || coalesce(n.nspacl::text, 'default')
  FROM ext JOIN pg_namespace n ON n.oid = ext.extnamespace
  UNION ALL
  SELECT pg_describe_object(m.classid, m.objid, m.objsubid) || ' :: ' ||
    CASE m.classid
      WHEN 'pg_proc'::regclass THEN
        (SELECT md5(pg_get_functiondef(p.oid)) || ' owner=' || p.proowner::regrole || ' acl=' || coalesce(p.proacl::text, 'default')
                || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
         FROM pg_proc p WHERE p.oid = m.objid)
      WHEN 'pg_namespace'::regclass THEN
        (SELECT 'owner=' || n.nspowner::regrole || ' acl=' || coalesce(n.nspacl::text, 'default')
                || ' comment=' || coalesce(obj_description(n.oid, 'pg_namespace'), '-')
         FROM pg_namespace n WHERE n.oid = m.objid)
      WHEN 'pg_class'::regclass THEN
        (SELECT c.relkind::text || ' owner=' || c.relowner::regrole || ' acl=' || coalesce(c.relacl::text, 'default')
                || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity
                || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '-')
                || ' columns=' || coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                                     || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                                                     || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), ''), ', ' ORDER BY a.attnum)
                                            FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                                            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '-')
                || ' constraints=' || coalesce((SELECT string_agg(pg_get_constraintdef(k.oid), '; ' ORDER BY pg_get_constraintdef(k.oid))
                                                FROM pg_constraint k WHERE k.conrelid = c.oid), '-')
                || ' view=' || coalesce(md5(pg_get_viewdef(c.oid)), '-')
         FROM pg_class c WHERE c.oid = m.objid)
      WHEN 'pg_type'::regclass THEN
        (SELECT format_type(t.oid, NULL) || ' ' || t.typtype::text FROM pg_type t WHERE t.oid = m.objid)
      WHEN 'pg_event_trigger'::regclass THEN
        (SELECT e.evtevent || ' ' || e.evtfoid::regproc || ' ' || e.evtenabled::text || ' ' || coalesce(e.evttags::text, '-')
         FROM pg_event_trigger e WHERE e.oid = m.objid)
      ELSE 'unchecked kind'
    END
  FROM members m
) x
ORDER BY line;
