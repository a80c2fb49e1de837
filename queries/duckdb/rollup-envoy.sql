-- Daily rollups (SPEC §14) from Envoy's JSON access log, on DuckDB, with the fields
-- docs/funnel.md asks the access log's json_format to carry (start_time, response_code,
-- credential or partner, environment). The files come from the variable `usage_files`:
--
--   duckdb -c "SET VARIABLE usage_files = 'envoy/access-*.json';" \
--          -c "COPY ($(cat queries/duckdb/rollup-envoy.sql)) TO 'rollup.jsonl' (FORMAT json)"
WITH raw AS (
    SELECT *
    FROM read_json(
        getvariable('usage_files'),
        format = 'newline_delimited',
        ignore_errors = true,
        columns = {start_time: 'VARCHAR', credential: 'VARCHAR', partner: 'VARCHAR', environment: 'VARCHAR', response_code: 'VARCHAR'}
    )
),
calls AS (
    SELECT
        timezone('UTC', try_cast(start_time AS TIMESTAMPTZ)) AS call_at,
        nullif(nullif(credential, ''), '-') AS credential,
        nullif(nullif(partner, ''), '-') AS partner,
        nullif(environment, '') AS environment,
        coalesce(try_cast(response_code AS INTEGER), 0) AS status
    FROM raw
    -- Lines partnerctl finds unusable are left out here too.
    WHERE (response_code IS NULL OR try_cast(response_code AS INTEGER) BETWEEN 0 AND 65535)
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
WHERE call_at IS NOT NULL AND (credential IS NOT NULL OR partner IS NOT NULL)
GROUP BY ALL
ORDER BY day, credential, partner, environment
