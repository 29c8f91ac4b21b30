// The naive DuckDB answer to "which ReplicaSets did each Deployment scale up
// from 0" on one core/v1 JSON-lines file, for `make bench-scale` to compare
// with evanalyze rollouts. Runs on 2 threads, times the query alone (not
// node's start or the module load) and prints {"rows":N,"seconds":S} as JSON.
// Usage: node naive-rollouts.mjs FILE
import { DuckDBInstance } from "@duckdb/node-api";

const file = process.argv[2];
if (!file) {
  console.error("usage: node naive-rollouts.mjs FILE");
  process.exit(2);
}
const quoted = "'" + file.replaceAll("'", "''") + "'";
const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
await conn.run("SET threads=2");
const sql = `SELECT involvedObject.namespace, involvedObject.name,
  count(DISTINCT regexp_extract(message, 'Scaled up replica set (\\S+) from 0', 1))
  FROM read_json(${quoted}, format='newline_delimited')
  WHERE reason = 'ScalingReplicaSet' AND message LIKE 'Scaled up replica set % from 0 %'
  GROUP BY ALL`;
const start = process.hrtime.bigint();
const reader = await conn.runAndReadAll(sql);
const rows = reader.getRows().length;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ rows, seconds }));
