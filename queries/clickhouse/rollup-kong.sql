-- Daily rollups (SPEC §14) from Kong's file-log/http-log output, on ClickHouse. The raw lines
-- are the `json` column of `usage_log` (see rollup-partnerctl.sql):
--
--   clickhouse local --query "CREATE VIEW usage_log AS SELECT json FROM s3('https://bucket.s3.amazonaws.com/kong/*.jsonl', 'JSONAsString');
--     $(cat queries/clickhouse/rollup-kong.sql) FORMAT JSONEachRow" > rollup.jsonl
--
-- `credential` is Kong's id of the key-auth credential, `partner` the consumer's custom_id
-- (else username); the environment a service tag `environment:<env>` or the kong target's
-- `partnerctl-<program>-<env>`, else a `-sandbox`/`-production` suffix of the service name. Unauthenticated requests are left out.
WITH calls AS (
    SELECT
        fromUnixTimestamp64Milli(toInt64(JSONExtractFloat(json, 'started_at')), 'UTC') AS call_at,
        nullIf(JSONExtractString(json, 'authenticated_entity', 'id'), '') AS credential,
        coalesce(
            nullIf(JSONExtractString(json, 'consumer', 'custom_id'), ''),
            nullIf(JSONExtractString(json, 'consumer', 'username'), '')
        ) AS partner,
        coalesce(
            nullIf(extract(arrayStringConcat(JSONExtract(json, 'service', 'tags', 'Array(String)'), ','),
                '(?:^|,)(?:(?:environment|env):|partnerctl-[^,]*-)(sandbox|production)(?:,|$)'), ''),
            multiIf(
                endsWith(JSONExtractString(json, 'service', 'name'), '-sandbox'), 'sandbox',
                endsWith(JSONExtractString(json, 'service', 'name'), '-production'), 'production',
                NULL
            )
        ) AS environment,
        toInt32OrZero(trim(BOTH '"' FROM JSONExtractRaw(json, 'response', 'status'))) AS status
    FROM usage_log
    WHERE JSONHas(json, 'started_at')
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
WHERE credential IS NOT NULL OR partner IS NOT NULL
GROUP BY day, credential, partner, environment
ORDER BY day, credential, partner, environment
