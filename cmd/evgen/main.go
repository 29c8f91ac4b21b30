// Command evgen generates large benchmark archives for evanalyze by cloning a recorded
// scenario (such as testdata/lab-basic) many times over several clusters.
//
// Every clone is the whole source scenario — all its events and audit records — with
//   - each namespace other than default/kube-* suffixed with the clone index
//     (shop → shop-0007), wherever it appears as a name token;
//   - each UUID replaced by a UUID derived from (seed, clone index, old UUID), the same
//     in every file of the clone, so that references stay consistent;
//   - each RFC 3339 timestamp shifted by index × -step, keeping its precision;
//   - the UnixNano hex of event names (<object>.<16 hex>) shifted by the same amount;
//   - resourceVersions renumbered so that they grow from clone to clone in a cluster.
//
// The sources are rewritten as raw bytes, never decoded and re-encoded, so that the
// output has the exact shape of the real files. Clone i goes to cluster i mod K:
//
//	OUT/cluster=c01/events.jsonl          core-jsonl
//	OUT/cluster=c01/watch-eventsv1.jsonl  watch-eventsv1-jsonl
//	OUT/cluster=c01/events-list.json      core-list
//	OUT/cluster=c01/eventsv1-list.json    eventsv1-list
//	OUT/cluster=c01/audit.log.gz          audit-jsonl-gz
//	OUT/cluster=c02/...
//
// The output depends only on the flags (not on -j).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/klauspost/compress/gzip"
)

type config struct {
	src        string
	out        string
	events     int
	clones     int // overrides events when > 0
	clusters   int
	seed       uint64
	formats    []string
	gzipEvents bool
	gzipLevel  int
	step       time.Duration
	jobs       int
	renumberRV bool
	keepNS     []string
	clean      bool
}

type fileStat struct {
	Cluster string
	Format  string
	Path    string
	Bytes   int64
	Records int64
}

type summary struct {
	Files        []fileStat
	Clusters     int
	Clones       int
	PerClone     map[string]int // records per clone, per format
	Records      map[string]int64
	Events       int64 // all records of event formats
	AuditRecords int64
	Bytes        int64
	First, Last  time.Time // time range of the output
	Namespaces   []string  // the namespaces that are suffixed
	NSWidth      int       // digits of the suffix
	Elapsed      time.Duration
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "evgen:", err)
		os.Exit(2)
	}
	sum, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "evgen:", err)
		os.Exit(1)
	}
	printSummary(os.Stdout, cfg, sum)
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("evgen", flag.ContinueOnError)
	cfg := &config{}
	var formats, keep string
	var defaults []string
	for _, f := range formatSpecs {
		if f.deflt {
			defaults = append(defaults, f.name)
		}
	}
	fs.StringVar(&cfg.src, "src", "testdata/lab-basic", "recorded scenario directory")
	fs.StringVar(&cfg.out, "out", "/tmp/evanalyze-bench", "output directory")
	fs.IntVar(&cfg.events, "events", 1000000, "target total number of events over all selected event formats (whole clones, rounded up)")
	fs.IntVar(&cfg.clones, "clones", 0, "number of clones (overrides -events when > 0)")
	fs.IntVar(&cfg.clusters, "clusters", 4, "number of clusters; clone i goes to cluster i mod K")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed for the new UUIDs (same flags and seed → byte-identical output)")
	fs.StringVar(&formats, "formats", "all", "comma-separated formats; all = "+strings.Join(defaults, ","))
	fs.BoolVar(&cfg.gzipEvents, "gzip", false, "gzip the event files too (adds .gz)")
	fs.IntVar(&cfg.gzipLevel, "gzip-level", gzip.BestSpeed, "gzip level (1 fastest … 9 smallest)")
	fs.DurationVar(&cfg.step, "step", 7*time.Minute, "time shift between consecutive clones (whole seconds)")
	fs.IntVar(&cfg.jobs, "j", min(2, runtime.NumCPU()), "clusters written in parallel")
	fs.BoolVar(&cfg.renumberRV, "renumber-rv", true, "renumber resourceVersions so they grow from clone to clone within a cluster")
	fs.StringVar(&keep, "keep-ns", "", "comma-separated extra namespaces to keep unsuffixed (default, kube-* always are)")
	fs.BoolVar(&cfg.clean, "clean", true, "remove OUT/cluster=c* directories left by an earlier run first")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: evgen [flags]\n\nClones a recorded Kubernetes scenario into a large multi-cluster benchmark archive.\n\nFormats:\n")
		for _, f := range formatSpecs {
			fmt.Fprintf(fs.Output(), "  %-21s %s (%s)\n", f.name, f.desc, f.file)
		}
		fmt.Fprintf(fs.Output(), "\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for _, name := range strings.Split(formats, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
		case name == "all":
			cfg.formats = append(cfg.formats, defaults...)
		case lookupFormat(name) != nil:
			cfg.formats = append(cfg.formats, name)
		default:
			var known []string
			for _, f := range formatSpecs {
				known = append(known, f.name)
			}
			return nil, fmt.Errorf("unknown format %q (known: %s)", name, strings.Join(known, ", "))
		}
	}
	if keep != "" {
		cfg.keepNS = strings.Split(keep, ",")
	}
	return cfg, nil
}

func (cfg *config) validate() error {
	slices.Sort(cfg.formats)
	cfg.formats = slices.Compact(cfg.formats)
	switch {
	case len(cfg.formats) == 0:
		return errors.New("no formats selected")
	case cfg.clusters < 1:
		return errors.New("-clusters must be at least 1")
	case cfg.events < 1 && cfg.clones < 1:
		return errors.New("-events must be at least 1")
	case cfg.step < time.Second || cfg.step%time.Second != 0:
		return errors.New("-step must be a positive whole number of seconds")
	case cfg.gzipLevel < gzip.BestSpeed || cfg.gzipLevel > gzip.BestCompression:
		return errors.New("-gzip-level must be 1..9")
	case cfg.out == "":
		return errors.New("-out is empty")
	}
	cfg.jobs = max(cfg.jobs, 1)
	// Keep the canonical order of formatSpecs.
	var ordered []string
	for _, f := range formatSpecs {
		if slices.Contains(cfg.formats, f.name) {
			ordered = append(ordered, f.name)
		}
	}
	cfg.formats = ordered
	return nil
}

func run(cfg *config) (*summary, error) {
	start := time.Now()
	if err := cfg.validate(); err != nil {
		return nil, err
	}

	// Read every source present (the dictionary then never depends on -formats), and
	// require the selected ones.
	all := map[string]*source{}
	var raws [][]byte
	for i := range formatSpecs {
		spec := &formatSpecs[i]
		s, err := readSource(cfg.src, spec)
		if err != nil {
			if slices.Contains(cfg.formats, spec.name) || !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			continue
		}
		all[spec.name] = s
		raws = append(raws, s.raw)
	}
	d, err := newDict(raws, cfg.keepNS)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.src, err)
	}
	for i := range formatSpecs { // compile in a fixed order: dictionary indexes are deterministic
		if s := all[formatSpecs[i].name]; s != nil {
			s.body = d.compile(s.raw)
		}
	}
	var srcs []*source
	perClone := 0
	for _, name := range cfg.formats {
		s := all[name]
		srcs = append(srcs, s)
		if s.spec.event {
			perClone += s.records
		}
	}

	clones := cfg.clones
	if clones <= 0 {
		if perClone == 0 { // only the audit log: count the events of the scenario
			if s := all["core-list"]; s != nil {
				perClone = s.records
			} else {
				perClone = 1
			}
		}
		clones = max(1, (cfg.events+perClone-1)/perClone)
	}
	clusters := min(cfg.clusters, clones)
	nsWidth := max(4, len(fmt.Sprint(clones-1)))
	cWidth := max(2, len(fmt.Sprint(clusters)))
	rvDelta := int64(0)
	if cfg.renumberRV && d.maxRV > 0 {
		rvDelta = 1
		for rvDelta <= d.maxRV {
			rvDelta *= 10
		}
	}

	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return nil, err
	}
	if cfg.clean {
		old, _ := filepath.Glob(filepath.Join(cfg.out, "cluster=c*"))
		for _, p := range old {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				if err := os.RemoveAll(p); err != nil {
					return nil, err
				}
			}
		}
	}

	gen := &generator{cfg: cfg, d: d, srcs: srcs, nsWidth: nsWidth, rvDelta: rvDelta, stepSec: int64(cfg.step / time.Second)}
	results := make([][]fileStat, clusters)
	errs := make([]error, clusters)
	sem := make(chan struct{}, cfg.jobs)
	var wg sync.WaitGroup
	for c := 0; c < clusters; c++ {
		var idx []int
		for g := c; g < clones; g += clusters {
			idx = append(idx, g)
		}
		name := fmt.Sprintf("c%0*d", cWidth, c+1)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[c], errs[c] = gen.writeCluster(name, idx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	sum := &summary{
		Clusters:   clusters,
		Clones:     clones,
		PerClone:   map[string]int{},
		Records:    map[string]int64{},
		Namespaces: slices.Sorted(slices.Values(d.ns)),
		NSWidth:    nsWidth,
		First:      time.Unix(0, d.minNanos).UTC(),
		Last:       time.Unix(0, d.maxNanos).Add(time.Duration(clones-1) * cfg.step).UTC(),
	}
	for _, s := range srcs {
		sum.PerClone[s.spec.name] = s.records
	}
	for _, fs := range results {
		for _, f := range fs {
			sum.Files = append(sum.Files, f)
			sum.Bytes += f.Bytes
			sum.Records[f.Format] += f.Records
			if lookupFormat(f.Format).event {
				sum.Events += f.Records
			} else {
				sum.AuditRecords += f.Records
			}
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

type generator struct {
	cfg     *config
	d       *dict
	srcs    []*source
	nsWidth int
	rvDelta int64
	stepSec int64
}

type output struct {
	src  *source
	path string
	f    *os.File
	bw   *bufio.Writer
	zw   *gzip.Writer
	w    io.Writer
}

func (o *output) close() error {
	var errs []error
	if o.zw != nil {
		errs = append(errs, o.zw.Close())
	}
	errs = append(errs, o.bw.Flush(), o.f.Close())
	return errors.Join(errs...)
}

// writeCluster writes all the formats of one cluster: the clones idx, in order.
func (g *generator) writeCluster(name string, idx []int) (stats []fileStat, err error) {
	dir := filepath.Join(g.cfg.out, "cluster="+name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var outs []*output
	defer func() {
		for _, o := range outs {
			if cerr := o.close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			stats = nil
		}
	}()
	for _, s := range g.srcs {
		o := &output{src: s, path: filepath.Join(dir, s.spec.file)}
		gz := s.spec.gzipped
		if g.cfg.gzipEvents && !gz {
			gz = true
			o.path += ".gz"
		}
		if o.f, err = os.Create(o.path); err != nil {
			return nil, err
		}
		o.bw = bufio.NewWriterSize(o.f, 1<<20)
		o.w = o.bw
		if gz {
			if o.zw, err = gzip.NewWriterLevel(o.bw, g.cfg.gzipLevel); err != nil {
				o.f.Close()
				return nil, err
			}
			o.w = o.zw
		}
		outs = append(outs, o)
		if _, err = o.w.Write(s.header); err != nil {
			return nil, err
		}
	}
	buf := make([]byte, 0, 4<<20)
	for k, gi := range idx {
		c := newClone(g.d, g.cfg.seed, gi, int64(gi)*g.stepSec, int64(k)*g.rvDelta, g.nsWidth)
		for _, o := range outs {
			buf = buf[:0]
			if k > 0 {
				buf = append(buf, o.src.sep...)
			}
			buf = c.render(buf, o.src.body)
			if _, err = o.w.Write(buf); err != nil {
				return nil, err
			}
		}
	}
	for _, o := range outs {
		if _, err = o.w.Write(o.src.footer); err != nil {
			return nil, err
		}
	}
	for _, o := range outs {
		cerr := o.close()
		if err == nil {
			err = cerr
		}
	}
	outs = nil
	if err != nil {
		return nil, err
	}
	for _, s := range g.srcs {
		path := filepath.Join(dir, s.spec.file)
		if g.cfg.gzipEvents && !s.spec.gzipped {
			path += ".gz"
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		stats = append(stats, fileStat{Cluster: name, Format: s.spec.name, Path: path, Bytes: fi.Size(), Records: int64(s.records * len(idx))})
	}
	return stats, nil
}

func printSummary(w io.Writer, cfg *config, s *summary) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "file\tformat\tbytes\trecords\t\n")
	for _, f := range s.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t\n", f.Path, f.Format, f.Bytes, f.Records)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "format\tfiles\tbytes\trecords\tper clone\t\n")
	for _, name := range cfg.formats {
		var files, bytes int64
		for _, f := range s.Files {
			if f.Format == name {
				files++
				bytes += f.Bytes
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t\n", name, files, human(bytes), s.Records[name], s.PerClone[name])
	}
	tw.Flush()
	fmt.Fprintf(w, "\nsource      %s\n", cfg.src)
	fmt.Fprintf(w, "output      %s/cluster=c*/ (%d files, %s)\n", cfg.out, len(s.Files), human(s.Bytes))
	fmt.Fprintf(w, "clusters    %d\n", s.Clusters)
	fmt.Fprintf(w, "clones      %d (clone i → cluster i mod %d, times shifted by i × %s)\n", s.Clones, s.Clusters, cfg.step)
	if len(s.Namespaces) > 0 {
		ns := s.Namespaces[0]
		fmt.Fprintf(w, "namespaces  %s → %s … %s (default, kube-* kept)\n", strings.Join(s.Namespaces, ", "),
			nsName(ns, 0, s.NSWidth), nsName(ns, s.Clones-1, s.NSWidth))
	}
	fmt.Fprintf(w, "events      %d (all event formats)\n", s.Events)
	fmt.Fprintf(w, "audit       %d records\n", s.AuditRecords)
	fmt.Fprintf(w, "time range  %s … %s\n", s.First.Format(time.RFC3339), s.Last.Format(time.RFC3339))
	fmt.Fprintf(w, "elapsed     %s\n", s.Elapsed.Round(time.Millisecond))
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
