package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

type convertOptions struct {
	load loadFlags
	to   string
}

func newConvertCmd(s streams) *cobra.Command {
	o := &convertOptions{}
	cmd := &cobra.Command{
		Use:   "convert PATH... --to DIR",
		Short: "Write the event table as a Parquet archive (for DuckDB, Spark, Trino, or evanalyze itself)",
		Long: `convert loads the inputs (repeats merged) and writes the event table and
the audit changes table as Parquet: zstd, dictionary-encoded strings, the
schema version in the file metadata, rows sorted by cluster, namespace, time
and object (changes: cluster and request time), in Hive-style partitions
DIR/cluster=NAME/date=YYYY-MM-DD/{events,changes}.parquet. Every row keeps
its original source file and line, so the archive reads back (as an input
to every command) into the same reports as the original files. Converting
the same inputs twice gives identical files.`,
		Example: `  evanalyze convert testdata/lab-basic --to archive/
  evanalyze rollouts archive/
  duckdb -c "select reason, count(*) from 'archive/**/*.parquet' group by 1 order by 2 desc"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.to == "" {
				return usagef("--to DIR is required")
			}
			o.load.changes = archive.AllChanges
			a, err := o.load.load(cmd.Context(), args, s, false)
			if err != nil {
				return err
			}
			defer a.Release()
			files, err := pqfile.WriteEvents(o.to, a.Events())
			if err != nil {
				return err
			}
			cfiles, err := pqfile.WriteChanges(o.to, a.Changes)
			if err != nil {
				return err
			}
			if !o.load.quiet {
				fmt.Fprintf(s.Err, "wrote %d events (%d observations) and %d changes into %d files under %s\n",
					a.Totals.Events, a.Totals.Observations, a.Changes.NumRows(), len(files)+len(cfiles), textsafe.Sanitize(o.to))
			}
			return nil
		},
	}
	o.load.register(cmd.Flags())
	cmd.Flags().StringVar(&o.to, "to", "", "directory of the Parquet archive")
	return cmd
}
