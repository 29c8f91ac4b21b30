// Package rollouts owns the reports of the rollouts themselves
// (`evanalyze rollouts`): a text table, CSV, and JSON or JSON lines with
// the fields of docs/output.md. The JSON is written one rollout at a time
// by an appending encoder whose bytes are those encoding/json writes for
// correlate.Rollout with SetEscapeHTML(false), without holding the whole
// output in memory.
package rollouts
