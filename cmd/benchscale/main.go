// Command benchscale measures the evanalyze CLI end to end on generated
// archives of several sizes and prints one table (`make bench-scale`):
//
//   - rollouts -o json on one core/v1 JSON-lines file at 1×, 4× and 16× the
//     size, to show that the cost is linear (throughput within 20%);
//   - DuckDB's naive query (e2e/duckdb/naive-rollouts.mjs, 2 threads) on the
//     same files, for scale;
//   - rollouts, stats, export and timeline on a whole archive (all formats,
//     audit logs included) of 1 cluster and of 4 clusters of the same size,
//     to compare peak RSS (target: within 1.5×);
//   - rollouts --memory 256MiB on the largest inputs, when the binary has the
//     flag.
//
// Each measurement is the fastest of -runs runs, with the highest peak RSS
// over them. Inputs come from cmd/evgen and are kept under -out: a dataset
// whose stamp records the same flags is reused.
//
// Run from the module root: it runs `go run ./cmd/evgen` and
// node e2e/duckdb/naive-rollouts.mjs by relative paths.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type options struct {
	out    string
	bin    string
	goCmd  string
	node   string
	table  string
	events int
	runs   int
}

// row is one line of the table.
type row struct {
	Case   string
	Bytes  int64 // input, decompressed
	Events int64
	S      sample
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(2)
	}
	if err := runBench(opts); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("benchscale", flag.ContinueOnError)
	o := &options{}
	fs.StringVar(&o.out, "out", "/tmp/evanalyze-bench-scale", "directory of the generated inputs (kept and reused)")
	fs.StringVar(&o.bin, "bin", "bin/evanalyze", "the evanalyze binary to measure")
	fs.StringVar(&o.goCmd, "go", "go", "the go command that runs cmd/evgen")
	fs.StringVar(&o.node, "node", "node", "the node command for the DuckDB rows (skipped when absent)")
	fs.StringVar(&o.table, "table", "bench-scale.txt", "file the table is also written to (empty: none)")
	fs.IntVar(&o.events, "events", 9000, "events of the 1× core/v1 JSON-lines file (whole clones of the source, rounded up)")
	fs.IntVar(&o.runs, "runs", 3, "runs of each measurement (the fastest is kept)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	case o.events < 1:
		return nil, errors.New("-events must be at least 1")
	case o.runs < 1:
		return nil, errors.New("-runs must be at least 1")
	}
	return o, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench-scale: "+format+"\n", args...)
}

func mb(n int64) float64 { return float64(n) / 1e6 }

func runBench(o *options) error {
	start := time.Now()
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("%w (build it first: make build)", err)
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return err
	}

	// The 1× file first: its clone count sizes all the others, so that 4× and
	// 16× are exactly 4 and 16 times as many clones of the scenario.
	jsonl := "-formats=core-jsonl"
	one, err := generate(o.goCmd, o.out, "jsonl-1x", "-events", strconv.Itoa(o.events), "-clusters", "1", jsonl)
	if err != nil {
		return err
	}
	c := one.Clones
	clones := func(k int) string { return strconv.Itoa(k * c) }
	four, err := generate(o.goCmd, o.out, "jsonl-4x", "-clones", clones(4), "-clusters", "1", jsonl)
	if err != nil {
		return err
	}
	sixteen, err := generate(o.goCmd, o.out, "jsonl-16x", "-clones", clones(16), "-clusters", "1", jsonl)
	if err != nil {
		return err
	}
	arch1, err := generate(o.goCmd, o.out, "archive-1c", "-clones", clones(1), "-clusters", "1")
	if err != nil {
		return err
	}
	arch4, err := generate(o.goCmd, o.out, "archive-4c", "-clones", clones(4), "-clusters", "4")
	if err != nil {
		return err
	}
	sizes := []struct {
		name string
		d    *dataset
	}{{"1x", one}, {"4x", four}, {"16x", sixteen}}
	archives := []struct {
		name string
		d    *dataset
	}{{"1 cluster", arch1}, {"4 clusters", arch4}}

	var rows []row
	measure := func(name string, d *dataset, argv []string, elapsed func([]byte) (time.Duration, error)) error {
		s, err := best(name, argv, o.runs, elapsed)
		if err != nil {
			return err
		}
		rows = append(rows, row{Case: name, Bytes: d.Bytes, Events: d.Events, S: s})
		return nil
	}

	// 1. Linear in the size of one file.
	for _, sz := range sizes {
		f := sz.d.file("events.jsonl")
		if err := measure("rollouts -o json, events.jsonl "+sz.name, sz.d, []string{bin, "rollouts", "-o", "json", f}, nil); err != nil {
			return err
		}
	}

	// 2. DuckDB's naive query on the same files.
	script := filepath.Join("e2e", "duckdb", "naive-rollouts.mjs")
	duckdb := true
	if _, err := exec.LookPath(o.node); err != nil {
		logf("skipping the DuckDB rows: %v", err)
		duckdb = false
	} else if _, err := os.Stat(filepath.Join("e2e", "duckdb", "node_modules", "@duckdb", "node-api")); err != nil {
		logf("skipping the DuckDB rows: no e2e/duckdb/node_modules (cd e2e/duckdb && npm ci --no-audit --no-fund)")
		duckdb = false
	}
	var duckWalls []string
	if duckdb {
		for _, sz := range sizes {
			f := sz.d.file("events.jsonl")
			if err := measure("duckdb naive query, events.jsonl "+sz.name, sz.d, []string{o.node, script, f}, queryTime); err != nil {
				return err
			}
			duckWalls = append(duckWalls, fmt.Sprintf("%s %.2fs", sz.name, rows[len(rows)-1].S.Wall.Seconds()))
		}
	}

	// 3. Peak RSS with the number of clusters.
	commands := []struct {
		name string
		args []string
	}{
		{"rollouts -o json", []string{"rollouts", "-o", "json"}},
		{"stats", []string{"stats"}},
		{"export --otlp-file /dev/null", []string{"export", "--otlp-file", os.DevNull}},
		{"timeline --since start --until end", []string{"timeline", "--since", "start", "--until", "end"}},
	}
	for _, cmd := range commands {
		for _, a := range archives {
			argv := append(append([]string{bin}, cmd.args...), a.d.dir)
			if err := measure(cmd.name+", archive "+a.name, a.d, argv, nil); err != nil {
				return err
			}
		}
	}

	// 4. A memory budget, once the binary has one.
	help, err := exec.Command(bin, "rollouts", "--help").Output()
	if err != nil {
		return fmt.Errorf("rollouts --help: %w", err)
	}
	if strings.Contains(string(help), "--memory") {
		f := sixteen.file("events.jsonl")
		if err := measure("rollouts -o json --memory 256MiB, events.jsonl 16x", sixteen,
			[]string{bin, "rollouts", "-o", "json", "--memory", "256MiB", f}, nil); err != nil {
			return err
		}
		if err := measure("rollouts -o json --memory 256MiB, archive 4 clusters", arch4,
			[]string{bin, "rollouts", "-o", "json", "--memory", "256MiB", arch4.dir}, nil); err != nil {
			return err
		}
	}

	var out strings.Builder
	fmt.Fprintf(&out, "evanalyze %s, %s %s/%s, %d CPUs, fastest of %d runs; 1x = %d events in %d clones of testdata/lab-basic\n\n",
		revision(), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), o.runs, one.Events, c)
	printTable(&out, rows)
	fmt.Fprintln(&out)
	var names []string
	for _, cmd := range commands {
		names = append(names, cmd.name)
	}
	printChecks(&out, rows, names)
	if len(duckWalls) > 0 {
		fmt.Fprintf(&out, "duckdb: wall is the query alone, timed inside node on 2 threads (process wall %s); its RSS includes node's\n", strings.Join(duckWalls, ", "))
	}
	fmt.Fprintf(&out, "MB = 10^6 bytes of input, decompressed; events = event records of every format (an archive holds each event in 4 formats; its %d+%d audit records are not counted)\n",
		arch1.Audit, arch4.Audit)
	if !strings.Contains(string(help), "--memory") {
		fmt.Fprintln(&out, "no --memory rows: rollouts has no --memory flag")
	}

	fmt.Print(out.String())
	if o.table != "" {
		if err := os.WriteFile(o.table, []byte(out.String()), 0o644); err != nil {
			return err
		}
	}
	logf("done in %s", time.Since(start).Round(time.Second))
	return nil
}

// queryTime reads the query's own seconds from naive-rollouts.mjs's output.
func queryTime(stdout []byte) (time.Duration, error) {
	var r struct {
		Rows    int     `json:"rows"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.Unmarshal(stdout, &r); err != nil {
		return 0, fmt.Errorf("read the query time: %w", err)
	}
	if r.Rows == 0 {
		return 0, errors.New("the query found no rows")
	}
	return time.Duration(r.Seconds * float64(time.Second)), nil
}

// printTable aligns the case column left and the numbers right.
func printTable(w io.Writer, rows []row) {
	cells := [][]string{{"case", "input MB", "events", "peak RSS MB", "wall s", "MB/s", "events/s"}}
	for _, r := range rows {
		sec := r.S.Time.Seconds()
		cells = append(cells, []string{r.Case,
			fmt.Sprintf("%.1f", mb(r.Bytes)), strconv.FormatInt(r.Events, 10), fmt.Sprintf("%.0f", mb(r.S.RSS)),
			fmt.Sprintf("%.2f", sec), fmt.Sprintf("%.1f", mb(r.Bytes)/sec), fmt.Sprintf("%.0f", float64(r.Events)/sec)})
	}
	width := make([]int, len(cells[0]))
	for _, line := range cells {
		for i, c := range line {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, line := range cells {
		var b strings.Builder
		for i, c := range line {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// printChecks compares the rows against the targets: throughput within 20%
// from 1× to 16×, peak RSS of 4 clusters within 1.5× of 1 cluster.
func printChecks(w io.Writer, rows []row, commands []string) {
	find := func(name string) *row {
		for i := range rows {
			if rows[i].Case == name {
				return &rows[i]
			}
		}
		return nil
	}
	rate := func(r *row) float64 { return mb(r.Bytes) / r.S.Time.Seconds() }
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}

	b := find("rollouts -o json, events.jsonl 1x")
	var parts []string
	ok := true
	for _, sz := range []string{"4x", "16x"} {
		r := find("rollouts -o json, events.jsonl " + sz)
		ratio := rate(r) / rate(b)
		ok = ok && ratio >= 0.8 && ratio <= 1.2
		parts = append(parts, fmt.Sprintf("%s %.0f%%", sz, 100*ratio))
	}
	fmt.Fprintf(w, "linear: rollouts MB/s against 1x: %s (target 80%%..120%%): %s\n", strings.Join(parts, ", "), verdict(ok))

	parts, ok = nil, true
	for _, cmd := range commands {
		r1, r4 := find(cmd+", archive 1 cluster"), find(cmd+", archive 4 clusters")
		ratio := float64(r4.S.RSS) / float64(r1.S.RSS)
		ok = ok && ratio <= 1.5
		parts = append(parts, fmt.Sprintf("%s %.2fx", strings.Fields(cmd)[0], ratio))
	}
	fmt.Fprintf(w, "clusters: peak RSS of 4 clusters against 1: %s (target at most 1.5x): %s\n", strings.Join(parts, ", "), verdict(ok))
}

// revision is the commit of the working tree, when git is there to say.
func revision() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "(unknown commit)"
	}
	return strings.TrimSpace(string(out))
}
