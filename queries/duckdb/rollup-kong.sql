-- Daily rollups (SPEC §14) from Kong's file-log or http-log plugin output (one JSON object a
-- line), on DuckDB. The files come from the variable `usage_files`:
--
--   duckdb -c "SET VARIABLE usage_files = 's3://logs/kong/2026-11-*.jsonl';" \
--          -c "COPY ($(cat queries/duckdb/rollup-kong.sql)) TO 'rollup.jsonl' (FORMAT json)"
--
-- `credential` is Kong's id of the key-auth credential, `partner` the consumer's custom_id
-- (else username), which the kong target sets to the partner's name; the environment comes
-- from a service tag `environment:<env>` or the kong target's `partnerctl-<program>-<env>`,
-- else a `-sandbox`/`-production` suffix of the service name. Requests nobody was authenticated for are left out, as partnerctl leaves them.
WITH raw AS (
    SELECT *
    FROM read_json(
        getvariable('usage_files'),
        format = 'newline_delimited',
        ignore_errors = true,
        columns = {
            started_at: 'DOUBLE',
            authenticated_entity: 'STRUCT(id VARCHAR)',
            consumer: 'STRUCT(custom_id VARCHAR, username VARCHAR)',
            response: 'STRUCT(status VARCHAR)',
            service: 'STRUCT(name VARCHAR, tags VARCHAR[])'
        }
    )
),
calls AS (
    SELECT
        epoch_ms(CAST(trunc(started_at) AS BIGINT)) AS call_at,
        nullif(authenticated_entity.id, '') AS credential,
        coalesce(nullif(consumer.custom_id, ''), nullif(consumer.username, '')) AS partner,
        coalesce(
            nullif(regexp_extract(
                array_to_string(service.tags, ','),
                '(?:^|,)(?:(?:environment|env):|partnerctl-[^,]*-)(sandbox|production)(?:,|$)',
                1
            ), ''),
            CASE
                WHEN service.name LIKE '%-sandbox' THEN 'sandbox'
                WHEN service.name LIKE '%-production' THEN 'production'
            END
        ) AS environment,
        coalesce(try_cast(response.status AS INTEGER), 0) AS status
    FROM raw
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
