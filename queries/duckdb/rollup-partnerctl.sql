-- Daily rollups (SPEC §14) from partnerctl's own JSON Lines (SPEC §8, what the nginx target
-- writes), on DuckDB. The files come from the variable `usage_files` (a path or a glob, local
-- or s3://); the result is one row per day, credential and environment:
--
--   duckdb -c "SET VARIABLE usage_files = 'logs/*.jsonl';" \
--          -c "COPY ($(cat queries/duckdb/rollup-partnerctl.sql)) TO 'rollup.jsonl' (FORMAT json)"
--
-- Times are read with their offset and counted on their UTC day, as partnerctl does.
WITH raw AS (
    SELECT *
    FROM read_json(
        getvariable('usage_files'),
        format = 'newline_delimited',
        ignore_errors = true,
        columns = {ts: 'VARCHAR', credential: 'VARCHAR', environment: 'VARCHAR', status: 'VARCHAR'}
    )
),
calls AS (
    SELECT
        timezone('UTC', try_cast(ts AS TIMESTAMPTZ)) AS call_at,
        nullif(credential, '') AS credential,
        CAST(NULL AS VARCHAR) AS partner,
        nullif(environment, '') AS environment,
        coalesce(try_cast(status AS INTEGER), 0) AS status
    FROM raw
    -- Lines partnerctl finds unusable are left out here too.
    WHERE (status IS NULL OR try_cast(status AS INTEGER) BETWEEN 0 AND 65535)
      AND (environment IS NULL OR environment IN ('', 'sandbox', 'production'))
)
SELECT
    strftime(call_at, '%Y-%m-%d') AS day,
    credential,
    partner,
    environment,
    count(*) AS calls,
    count(*) FILTER (WHERE status BETWEEN 400 AND 499) AS status4xx,
    count(*) FILTER (WHERE status = 401) AS status401,
    count(*) FILTER (WHERE status = 403) AS status403,
    count(*) FILTER (WHERE status = 429) AS status429,
    count(*) FILTER (WHERE status >= 500) AS status5xx,
    strftime(min(call_at), '%Y-%m-%dT%H:%M:%S.%fZ') AS firstTs,
    strftime(max(call_at), '%Y-%m-%dT%H:%M:%S.%fZ') AS lastTs
FROM calls
WHERE call_at IS NOT NULL AND credential IS NOT NULL
GROUP BY ALL
ORDER BY day, credential, environment
