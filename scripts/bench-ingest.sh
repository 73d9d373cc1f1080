#!/usr/bin/env bash
# Measures ingestion into ClickHouse through the product's pipeline (the
# admin's ingestion worker: JSONL files as Mastra servers write them →
# observability.Decoder → the ClickHouse store's native inserts) against
# clickhouse-client importing the same rows with
# INSERT … FORMAT JSONEachRow, into the same schema (views included), in
# the same run, and prints rows/s for each and their ratio
# (admin.TestIngestThroughput; the embedded SQLite store's rate beside).
#
#   SPANS   spans per round (default 100000), in four files
#   ROUNDS  rounds, worker and client alternating (default 3)
#
# Needs MASTRA_ADMIN_TEST_CLICKHOUSE_URL and clickhouse-client
# (scripts/clickhouse.sh installs and starts both).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${MASTRA_ADMIN_TEST_CLICKHOUSE_URL:?set it (scripts/clickhouse.sh prints it)}"
export MASTRA_ADMIN_BENCH_INGEST=${SPANS:-100000} MASTRA_ADMIN_BENCH_ROUNDS=${ROUNDS:-3}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
go test -count=1 -timeout 60m -run '^TestIngestThroughput$' -v ./admin/ | grep -E 'ingest_clickhouse_test|^(--- |FAIL|ok)'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
