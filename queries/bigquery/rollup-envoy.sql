-- Daily rollups (SPEC §14) from Envoy's JSON access log (the fields docs/funnel.md asks its
-- json_format to carry), on BigQuery. The raw lines are the STRING column `line` of
-- `usage_log`:
--
--   bq query --use_legacy_sql=false "EXPORT DATA OPTIONS (uri = 'gs://bucket/rollups/*.jsonl',
--     format = 'JSON', overwrite = true) AS $(cat queries/bigquery/rollup-envoy.sql)"
WITH calls AS (
    SELECT
        SAFE_CAST(JSON_VALUE(line, '$.start_time') AS TIMESTAMP) AS call_at,
        NULLIF(NULLIF(JSON_VALUE(line, '$.credential'), ''), '-') AS credential,
        NULLIF(NULLIF(JSON_VALUE(line, '$.partner'), ''), '-') AS partner,
        NULLIF(JSON_VALUE(line, '$.environment'), '') AS environment,
        IFNULL(SAFE_CAST(JSON_VALUE(line, '$.response_code') AS INT64), 0) AS status
    FROM usage_log
    WHERE IFNULL(NULLIF(JSON_VALUE(line, '$.environment'), ''), 'sandbox') IN ('sandbox', 'production')
)
SELECT
    FORMAT_DATE('%Y-%m-%d', DATE(call_at)) AS day,
    credential,
    partner,
    environment,
    COUNT(*) AS calls,
    COUNTIF(status BETWEEN 400 AND 499) AS status4xx,
    COUNTIF(status = 401) AS status401,
    COUNTIF(status = 403) AS status403,
    COUNTIF(status = 429) AS status429,
    COUNTIF(status >= 500) AS status5xx,
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6SZ', MIN(call_at), 'UTC') AS firstTs,
    FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6SZ', MAX(call_at), 'UTC') AS lastTs
FROM calls
WHERE call_at IS NOT NULL AND (credential IS NOT NULL OR partner IS NOT NULL)
GROUP BY day, credential, partner, environment
ORDER BY day, credential, partner, environment
