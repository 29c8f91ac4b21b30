// Package rollouts owns the reports of the rollouts themselves
// (`evanalyze rollouts`): a text table for people and CSV with the fields
// of docs/output.md.
package rollouts
