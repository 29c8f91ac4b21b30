// Package changes owns the report of the writes to workloads found in
// audit logs (`evanalyze changes`): which rows of the changes table
// (load.ChangeSchema) are listed, the row type whose JSON is the
// `changes -o json` contract of docs/output.md, and the text and CSV
// writers.
package changes
