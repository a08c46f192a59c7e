-- How the dependent objects behave, as `authenticated` (RLS applies: neither
-- superuser nor owner), with PostgREST-style claims for tenant A, B and none.
\pset format unaligned
\pset tuples_only on
\set ON_ERROR_STOP 1
CREATE FUNCTION pg_temp.as_tenant(org text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE seen text; me text; req text; ins text; upd bigint;
BEGIN
  PERFORM set_config('request.jwt.claims',
    CASE WHEN org IS NULL THEN '' ELSE
      format('{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","role":"authenticated","app_metadata":{"org_id":"%s"}}', org) END,
    true);
  SET LOCAL ROLE authenticated;
  SELECT coalesce(string_agg(body, ',' ORDER BY id), '-') INTO seen FROM app.docs;
  SELECT coalesce(m.org::text, 'null') || '/' || coalesce(m.usr::text, 'null') INTO me FROM app.me m;
  BEGIN
    req := app.tenant_or_error()::text;
  EXCEPTION WHEN OTHERS THEN
    req := SQLSTATE;
  END;
  BEGIN
    -- into tenant B, whoever asks: only B's own claims may
    INSERT INTO app.docs VALUES (100, '22222222-2222-4222-8222-222222222222', 'x');
    ins := 'inserted';
    RAISE EXCEPTION USING ERRCODE = 'P0001';  -- undo the row
  EXCEPTION WHEN SQLSTATE 'P0001' THEN
    NULL;
  WHEN OTHERS THEN
    ins := SQLSTATE;
  END;
  BEGIN
    UPDATE app.docs SET body = body || '!';
    GET DIAGNOSTICS upd = ROW_COUNT;
    RAISE EXCEPTION USING ERRCODE = 'P0001';  -- undo
  EXCEPTION WHEN SQLSTATE 'P0001' THEN
    NULL;
  END;
  RESET ROLE;
  RETURN format('tenant %s: sees %s; app.me %s; tenant_or_error %s; insert into B %s; updates %s rows',
                coalesce(org, 'none'), seen, me, req, ins, upd);
END $$;
BEGIN;
SELECT pg_temp.as_tenant('11111111-1111-4111-8111-111111111111');
SELECT pg_temp.as_tenant('22222222-2222-4222-8222-222222222222');
SELECT pg_temp.as_tenant(NULL);
ROLLBACK;
SELECT 'suppression: ' || cache_key || ' (' || reason || ')' FROM tenant_guard.suppressions ORDER BY cache_key;
