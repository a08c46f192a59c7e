-- Test-only token signing in plain SQL (no pgcrypto: PostgreSQL builds
-- without OpenSSL, such as the embedded PostgreSQL 18 we test on, lack it).
-- HMAC (RFC 2104) over the built-in sha256/sha384/sha512.
CREATE FUNCTION pg_temp.b64url(bytea) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT translate(rtrim(replace(encode($1, 'base64'), E'\n', ''), '='), '+/', '-_') $$;
CREATE FUNCTION pg_temp.sha(data bytea, hash text) RETURNS bytea LANGUAGE sql IMMUTABLE AS
  $$ SELECT CASE hash WHEN 'sha256' THEN sha256(data) WHEN 'sha384' THEN sha384(data)
                      WHEN 'sha512' THEN sha512(data) END $$;
CREATE FUNCTION pg_temp.hmac(msg text, key text, hash text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  block int := CASE hash WHEN 'sha256' THEN 64 ELSE 128 END;
  k bytea := convert_to(key, 'UTF8');
  ipad bytea;
  opad bytea;
BEGIN
  IF length(k) > block THEN k := pg_temp.sha(k, hash); END IF;
  k := k || decode(repeat('00', block - length(k)), 'hex');
  ipad := k;
  opad := k;
  FOR i IN 0 .. block - 1 LOOP
    ipad := set_byte(ipad, i, get_byte(k, i) # 54);  -- 0x36
    opad := set_byte(opad, i, get_byte(k, i) # 92);  -- 0x5c
  END LOOP;
  RETURN pg_temp.sha(opad || pg_temp.sha(ipad || convert_to(msg, 'UTF8'), hash), hash);
END $$;
-- A compact JWS over the exact header and payload text, HMAC-signed.
CREATE FUNCTION pg_temp.jws(header text, payload text, secret text, hash text DEFAULT 'sha256')
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT s || '.' || pg_temp.b64url(pg_temp.hmac(s, secret, hash))
  FROM (SELECT pg_temp.b64url(convert_to(header, 'UTF8')) || '.' ||
               pg_temp.b64url(convert_to(payload, 'UTF8')) AS s) x
$$;
