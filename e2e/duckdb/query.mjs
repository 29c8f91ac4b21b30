// Prints DuckDB's answers about an evanalyze Parquet archive as JSON:
// events and observations per cluster, distinct objects and the least
// event uid (as text), and the changes count.
// Usage: node query.mjs DIR
import { DuckDBInstance } from "@duckdb/node-api";

const dir = process.argv[2];
const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
async function rows(sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}
const events = await rows(`select cluster, count(*) as observations, count(*) filter (where latest) as events,
  count(distinct reason) as reasons, min(time) as first,
  count(distinct object_uid) as objects, min(uid::varchar) as min_uid
  from read_parquet('${dir}/**/events.parquet', hive_partitioning = true) group by cluster order by cluster`);
const changes = await rows(`select count(*) as changes, count(*) filter (where spec_changed) as spec_changes
  from read_parquet('${dir}/**/changes.parquet', hive_partitioning = true)`);
console.log(JSON.stringify({ events, changes }));
