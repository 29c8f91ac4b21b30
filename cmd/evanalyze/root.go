package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// streams are the command's standard streams, injected so tests compare
// exact output.
type streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// usageError marks errors in the command line (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "evanalyze",
		Short: "Analyze archived Kubernetes events and audit logs",
		Long: `evanalyze reads archives of Kubernetes Events (kubectl exports, watch streams,
event-exporter and eventrouter lines) and API-server audit logs, from many
clusters at once, and tells what happened.

Inputs are files, directories (read recursively) or - for standard input;
gzip and zstd are decompressed transparently. A path segment cluster=NAME
names the cluster of everything below it.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newInspectCmd(s), newChangesCmd(s), newRolloutsCmd(s), newExportCmd(s), newStatsCmd(s), newTimelineCmd(s))
	return root
}

// loadFlags are the input flags every command that reads archives has.
type loadFlags struct {
	cluster string
	format  string
	strict  bool
	workers int
	quiet   bool
}

func (f *loadFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.cluster, "cluster", "", "cluster name for inputs without a cluster=NAME path segment (default: the record's clusterName, else \"default\")")
	fs.StringVar(&f.format, "input-format", "auto", "input format: "+strings.Join(archive.Formats, ", "))
	fs.BoolVar(&f.strict, "strict", false, "stop at the first rejected record (exit code 1)")
	fs.IntVar(&f.workers, "workers", 0, "decode workers (default: number of CPUs)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "do not report rejected records on stderr")
}

func (f *loadFlags) options(s streams) archive.Options {
	return archive.Options{Cluster: f.cluster, Format: f.format, Strict: f.strict, Workers: f.workers, Stdin: s.In}
}

// reportProblems prints rejected records on stderr: the first few per file
// and how many more there were.
func reportProblems(w io.Writer, a *archive.Archive, perFile int) {
	for _, f := range a.Files {
		for i, e := range f.Errors {
			if i == perFile {
				break
			}
			fmt.Fprintf(w, "rejected: %v\n", e)
		}
		if n := f.Rejected - int64(min(perFile, len(f.Errors))); n > 0 {
			fmt.Fprintf(w, "rejected: %s: %d more\n", f.File, n)
		}
	}
}

// writeJSON writes v as indented JSON. HTML characters are not escaped:
// the output is for jq and people, and untrusted text stays a JSON string.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
