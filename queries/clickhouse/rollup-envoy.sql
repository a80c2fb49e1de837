-- Daily rollups (SPEC §14) from Envoy's JSON access log (the fields docs/funnel.md asks its
-- json_format to carry), on ClickHouse. The raw lines are the `json` column of `usage_log`:
--
--   clickhouse local --query "CREATE VIEW usage_log AS SELECT json FROM file('envoy/*.json', 'JSONAsString');
--     $(cat queries/clickhouse/rollup-envoy.sql) FORMAT JSONEachRow" > rollup.jsonl
WITH calls AS (
    SELECT
        parseDateTime64BestEffortOrNull(JSONExtractString(json, 'start_time'), 6, 'UTC') AS call_at,
        nullIf(nullIf(JSONExtractString(json, 'credential'), ''), '-') AS credential,
        nullIf(nullIf(JSONExtractString(json, 'partner'), ''), '-') AS partner,
        nullIf(JSONExtractString(json, 'environment'), '') AS environment,
        toInt32OrZero(trim(BOTH '"' FROM JSONExtractRaw(json, 'response_code'))) AS status
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
WHERE call_at IS NOT NULL AND (credential IS NOT NULL OR partner IS NOT NULL)
GROUP BY day, credential, partner, environment
ORDER BY day, credential, partner, environment
