-- Schema for bench/claims_bench.sh (run as postgres in a throwaway cluster).
-- psql variables: :org (the tenant the claims name), :rows, :orgs.

-- The API role: not the owner, not a superuser, no BYPASSRLS.
CREATE ROLE authenticated NOLOGIN NOSUPERUSER NOBYPASSRLS;

-- Measurement plumbing.
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO authenticated;
CREATE TABLE bench.runs (
  mode text NOT NULL, variant text NOT NULL, run int NOT NULL, plan json NOT NULL);
GRANT INSERT ON bench.runs TO authenticated;

-- One EXPLAIN ANALYZE of q; its JSON plan carries "Execution Time" (executor
-- only: no parse, plan or client round trip) and the Gather node if parallel.
CREATE FUNCTION bench.explain(q text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ' || q INTO j;
  RETURN j;
END
$$;

-- Raises (psql then stops with ON_ERROR_STOP) unless a variant saw exactly
-- the expected rows.
CREATE FUNCTION bench.check_count(mode text, variant text, got bigint, expected bigint)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF got IS DISTINCT FROM expected THEN
    RAISE EXCEPTION 'claims_bench: % / %: count(*) = %, expected %', mode, variant, got, expected;
  END IF;
  RETURN 'ok';
END
$$;

-- Raises unless ok: for the sanity checks.
CREATE FUNCTION bench.assert(ok boolean, msg text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION 'claims_bench: %', msg;
  END IF;
  RETURN 'ok';
END
$$;

-- The table: :rows rows over :orgs organizations, org_id not indexed, so
-- every variant is one sequential scan that evaluates the policy per row.
CREATE TABLE public.t (id bigint NOT NULL, org_id uuid NOT NULL, payload text NOT NULL);
INSERT INTO public.t
SELECT g, md5('org-' || (g % :orgs))::uuid, 'row ' || g
FROM generate_series(1, :rows) AS g;
-- The tenant named by the claims must own exactly :rows / :orgs rows.
SELECT bench.check_count('setup', 'rows of the benchmark org',
                         (SELECT count(*) FROM public.t WHERE org_id = :'org'), :rows / :orgs) \g /dev/null

GRANT USAGE ON SCHEMA public TO authenticated;
GRANT SELECT ON public.t TO authenticated;
ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;  -- not FORCEd: the owner (postgres) bypasses it

-- Supabase's auth.jwt(), as Supabase defines it (plus PARALLEL SAFE).
CREATE SCHEMA auth;
GRANT USAGE ON SCHEMA auth TO authenticated;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;

-- The kind of helper the seed incidents' teams wrote by hand: normalize
-- organization_id / org_id over app_metadata and user_metadata, '' -> NULL.
-- PL/pgSQL, so it is not inlined into the policy: one call per row.
CREATE FUNCTION public.current_org_id() RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RETURN nullif(coalesce(auth.jwt() -> 'app_metadata' ->> 'organization_id',
                         auth.jwt() -> 'app_metadata' ->> 'org_id',
                         auth.jwt() -> 'user_metadata' ->> 'organization_id',
                         auth.jwt() -> 'user_metadata' ->> 'org_id'), '')::uuid;
END
$$;

VACUUM (ANALYZE) public.t;
