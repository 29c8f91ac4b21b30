package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/load/pqfile"
	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

type convertOptions struct {
	load  loadFlags
	to    string
	force bool
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
the same inputs twice gives identical files.

NAME is the cluster name percent-encoded (every byte but letters, digits,
'.', '_' and '-' as %XX, so x/y is x%2Fy), and cut with a hash when longer
than 200 bytes; the rows hold the whole name. --to must be new or empty,
or hold an archive that --force replaces (anything else is never touched);
symbolic links inside it are never followed, and each file is written
under a temporary name and renamed into place. On an error no file of the
new archive is left.`,
		Example: `  evanalyze convert testdata/lab-basic --to archive/
  evanalyze rollouts archive/
  duckdb -c "select reason, count(*) from 'archive/**/*.parquet' group by 1 order by 2 desc"`,
		Args: needPaths,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.to == "" {
				return usagef("--to DIR is required")
			}
			if o.load.cluster != "" {
				// The archive holds every cluster of its inputs; a
				// selection would leave the changes of others in it.
				return usagef("convert writes every cluster of its inputs: give the paths of one cluster instead of --cluster (--cluster-name names inputs)")
			}
			o.load.changes = archive.AllChanges
			a, err := o.load.load(cmd.Context(), args, s, false)
			if err != nil {
				return err
			}
			defer a.Release()
			files, err := pqfile.WriteArchive(o.to, a.Events(), a.Changes, o.force)
			if errors.Is(err, pqfile.ErrArchiveExists) {
				return fmt.Errorf("--to %w: --force replaces it", err)
			}
			if err != nil {
				return err
			}
			if !o.load.quiet {
				fmt.Fprintf(s.Err, "wrote %s (%s) and %s into %s under %s\n", plural(a.Totals.Events, "event"), plural(a.Totals.Observations, "observation"),
					plural(a.Changes.NumRows(), "change"), plural(int64(len(files)), "file"), textsafe.Sanitize(o.to))
			}
			return nil
		},
	}
	o.load.register(cmd.Flags())
	cmd.Flags().StringVar(&o.to, "to", "", "directory of the Parquet archive: new, empty, or holding an archive (with --force)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the archive in --to (its partitions are removed first; anything else there is never removed)")
	return cmd
}
