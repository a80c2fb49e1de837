-- Daily rollups (SPEC §14) from Kong's file-log/http-log output, on BigQuery. The raw lines
-- are the STRING column `line` of `usage_log` (see rollup-partnerctl.sql):
--
--   bq query --use_legacy_sql=false "EXPORT DATA OPTIONS (uri = 'gs://bucket/rollups/*.jsonl',
--     format = 'JSON', overwrite = true) AS $(cat queries/bigquery/rollup-kong.sql)"
--
-- `credential` is Kong's id of the key-auth credential, `partner` the consumer's custom_id
-- (else username); the environment a service tag `environment:<env>` or the kong target's
-- `partnerctl-<program>-<env>`, else a `-sandbox`/`-production` suffix of the service name. Unauthenticated requests are left out.
WITH calls AS (
    SELECT
        TIMESTAMP_MILLIS(CAST(TRUNC(SAFE_CAST(JSON_VALUE(line, '$.started_at') AS FLOAT64)) AS INT64)) AS call_at,
        NULLIF(JSON_VALUE(line, '$.authenticated_entity.id'), '') AS credential,
        COALESCE(
            NULLIF(JSON_VALUE(line, '$.consumer.custom_id'), ''),
            NULLIF(JSON_VALUE(line, '$.consumer.username'), '')
        ) AS partner,
        COALESCE(
            REGEXP_EXTRACT(
                ARRAY_TO_STRING(JSON_VALUE_ARRAY(line, '$.service.tags'), ','),
                r'(?:^|,)(?:(?:environment|env):|partnerctl-[^,]*-)(sandbox|production)(?:,|$)'
            ),
            CASE
                WHEN ENDS_WITH(JSON_VALUE(line, '$.service.name'), '-sandbox') THEN 'sandbox'
                WHEN ENDS_WITH(JSON_VALUE(line, '$.service.name'), '-production') THEN 'production'
            END
        ) AS environment,
        IFNULL(SAFE_CAST(JSON_VALUE(line, '$.response.status') AS INT64), 0) AS status
    FROM usage_log
    WHERE JSON_VALUE(line, '$.started_at') IS NOT NULL
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
