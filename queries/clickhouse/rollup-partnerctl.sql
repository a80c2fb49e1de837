-- Daily rollups (SPEC §14) from partnerctl's own JSON Lines (SPEC §8), on ClickHouse.
-- The raw lines are the `json` column of `usage_log` (a table loaded with the JSONAsString
-- format, or a view over file()/s3()); the result is one row per day, credential and
-- environment. With clickhouse-local on files:
--
--   clickhouse local --query "CREATE VIEW usage_log AS SELECT json FROM file('logs/*.jsonl', 'JSONAsString');
--     $(cat queries/clickhouse/rollup-partnerctl.sql) FORMAT JSONEachRow" > rollup.jsonl
WITH calls AS (
    SELECT
        parseDateTime64BestEffortOrNull(JSONExtractString(json, 'ts'), 6, 'UTC') AS call_at,
        nullIf(JSONExtractString(json, 'credential'), '') AS credential,
        CAST(NULL, 'Nullable(String)') AS partner,
        nullIf(JSONExtractString(json, 'environment'), '') AS environment,
        toInt32OrZero(trim(BOTH '"' FROM JSONExtractRaw(json, 'status'))) AS status
    FROM usage_log
    WHERE environment IS NULL OR environment IN ('sandbox', 'production')
)
SELECT
    toString(toDate(call_at, 'UTC')) AS day,
    credential,
    partner,
    environment,
    count() AS calls,
    countIf(status BETWEEN 400 AND 499) AS status4xx,
    countIf(status = 401) AS status401,
    countIf(status = 403) AS status403,
    countIf(status = 429) AS status429,
    countIf(status >= 500) AS status5xx,
    formatDateTime(min(call_at), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS firstTs,
    formatDateTime(max(call_at), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS lastTs
FROM calls
WHERE call_at IS NOT NULL AND credential IS NOT NULL
GROUP BY day, credential, partner, environment
ORDER BY day, credential, environment
