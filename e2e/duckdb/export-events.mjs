// Writes the events of a Kubernetes List (kubectl get events -o json) as
// Parquet with DuckDB, one row per event with the JSON field names as
// nested columns: what a JSON-to-Parquet export of events looks like.
// Usage: node export-events.mjs LIST.json OUT.parquet
import { DuckDBInstance } from "@duckdb/node-api";

const [input, output] = process.argv.slice(2);
const q = (s) => "'" + s.replaceAll("'", "''") + "'";
const db = await DuckDBInstance.create(":memory:");
const conn = await db.connect();
await conn.run(`COPY (SELECT e.* FROM (SELECT unnest(items) AS e FROM read_json(${q(input)})))
  TO ${q(output)} (FORMAT parquet)`);
