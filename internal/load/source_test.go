package load_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/evanalyze/evanalyze/internal/load"
)

// writeFile writes data to dir/name, making its directories.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Directories are walked recursively in lexical order, keeping archive
// names and listing the other files as skipped with a reason; files and
// "-" are taken as given, in the order given; the innermost cluster=NAME
// segment names the cluster, else the cluster passed.
func TestExpand(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{
		"z.json",
		"a.ndjson",
		"cluster=prod/events.json.gz",
		"cluster=prod/sub/audit.log.1",
		"cluster=prod/cluster=canary/watch.yaml",
		"cluster=/empty-name.jsonl",
		"README.md",
		"notes.txt",
		".hidden.json",
		"cluster=prod/.partial.json.zst",
		".git/objects.json", // a hidden directory is not entered
	} {
		writeFile(t, root, name, []byte("{}\n"))
	}
	other := writeFile(t, t.TempDir(), "cluster=staging/given.txt", []byte("x"))
	j := func(name string) string { return filepath.Join(root, filepath.FromSlash(name)) }

	got, skipped, err := load.Expand([]string{other, root, "-"}, "lab")
	if err != nil {
		t.Fatal(err)
	}
	want := []load.Source{
		{Path: other, Cluster: "staging"}, // a file given is read whatever its name
		{Path: j("a.ndjson"), Cluster: "lab"},
		{Path: j("cluster=/empty-name.jsonl"), Cluster: "lab"}, // an empty name names no cluster
		{Path: j("cluster=prod/cluster=canary/watch.yaml"), Cluster: "canary"},
		{Path: j("cluster=prod/events.json.gz"), Cluster: "prod"},
		{Path: j("cluster=prod/sub/audit.log.1"), Cluster: "prod"},
		{Path: j("z.json"), Cluster: "lab"},
		{Path: "-", Cluster: "lab"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sources:\n%+v\nwant\n%+v", got, want)
	}
	wantSkipped := []load.Skipped{
		{Path: j(".hidden.json"), Reason: "hidden file"},
		{Path: j("README.md"), Reason: "not an archive file name"},
		{Path: j("cluster=prod/.partial.json.zst"), Reason: "hidden file"},
		{Path: j("notes.txt"), Reason: "not an archive file name"},
	}
	if !reflect.DeepEqual(skipped, wantSkipped) {
		t.Errorf("skipped:\n%+v\nwant\n%+v", skipped, wantSkipped)
	}

	// A directory given is walked even when its own name is hidden.
	hidden := filepath.Join(root, ".git")
	got, skipped, err = load.Expand([]string{hidden}, "")
	if err != nil || len(skipped) != 0 || !reflect.DeepEqual(got, []load.Source{{Path: filepath.Join(hidden, "objects.json")}}) {
		t.Errorf("hidden root: %+v %+v %v", got, skipped, err)
	}

	// A path that does not exist is an error, not a skip.
	if _, _, err := load.Expand([]string{root, j("missing.json")}, ""); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
}

func TestClusterOf(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"events.json", "def"},
		{"archive/cluster=prod/events.json", "prod"},
		{"cluster=prod/2026/cluster=canary/events.json", "canary"}, // innermost
		{"cluster=prod/cluster=/events.json", "prod"},              // an empty name is no segment
		{"/data/cluster=prod", "prod"},                             // the last segment counts too
		{"mycluster=prod/events.json", "def"},                      // the whole segment must start with cluster=
		{"cluster=prod.json", "prod.json"},
		{"", "def"},
		{"cluster=x%2Fy/events.parquet", "x/y"}, // percent-encoded (EncodeCluster)
		{"cluster=x%5Cy/events.parquet", `x\y`},
		{"cluster=a%00b/events.parquet", "a\x00b"},
		{"cluster=100%/events.json", "100%"},   // not an escape: as it is
		{"cluster=%zz%4/events.json", "%zz%4"}, // nor these
		{"cluster=%e6%9d%b1/events.json", "東"}, // lower case hex too
		{"cluster=abc~0123456789abcdef/x", ""}, // capped: the records name it
		{"cluster=abc~0123456789abcdeg/x", "abc~0123456789abcdeg"},
	} {
		if got := load.ClusterOf(tc.path, "def"); got != tc.want {
			t.Errorf("ClusterOf(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestIsArchiveName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"events.json", true},
		{"EVENTS.JSON", true},
		{"watch.jsonl", true},
		{"stream.ndjson", true},
		{"events.yaml", true},
		{"events.yml", true},
		{"kube-apiserver.log", true},
		{"audit.log.1", true},
		{"audit.log.2026-11-25", true},
		{"events.parquet", true},
		{"events.json.gz", true},
		{"events.json.zst", true},
		{"events.json.zstd", true},
		{"audit.log.gz", true},
		{"events.json.zst.gz", true},
		{"README.md", false},
		{"events.gz", false},
		{"events.txt", false},
		{"events.json.bak", false},
		{"json", false},
		{"catalog", false},
		{"x.logs", false},
		{"", false},
	} {
		if got := load.IsArchiveName(tc.name); got != tc.want {
			t.Errorf("IsArchiveName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Open detects the compression from the content, whatever the name says,
// for files and for standard input.
func TestOpen(t *testing.T) {
	const text = `{"kind":"Event"}` + "\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zst := enc.EncodeAll([]byte(text), nil)
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		data  []byte
		stdin bool
		comp  load.Compression
		want  string
	}{
		{"plain.json", []byte(text), false, load.CompressionNone, text},
		{"gzip-named-plain.json", gz.Bytes(), false, load.CompressionGzip, text},
		{"plain-named.json.gz", []byte(text), false, load.CompressionNone, text},
		{"zstd-named.json.gz", zst, false, load.CompressionZstd, text},
		{"short.json", []byte("{"), false, load.CompressionNone, "{"},
		{"empty.json", nil, false, load.CompressionNone, ""},
		{"stdin gzip", gz.Bytes(), true, load.CompressionGzip, text},
		{"stdin zstd", zst, true, load.CompressionZstd, text},
		{"stdin plain", []byte(text), true, load.CompressionNone, text},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := load.Source{Path: "-"}
			var stdin io.Reader
			if tc.stdin {
				stdin = bytes.NewReader(tc.data)
			} else {
				src.Path = writeFile(t, dir, tc.name, tc.data)
			}
			rc, comp, err := load.Open(src, stdin)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if err := rc.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			if comp != tc.comp || string(got) != tc.want {
				t.Errorf("compression %q, content %q; want %q, %q", comp, got, tc.comp, tc.want)
			}
		})
	}

	// A gzip header that does not parse is an error of Open.
	bad := writeFile(t, dir, "bad.gz", []byte{0x1f, 0x8b, 0xff, 0xff, 0xff})
	if _, _, err := load.Open(load.Source{Path: bad}, nil); err == nil || !strings.HasPrefix(err.Error(), "gzip: ") {
		t.Errorf("bad gzip header: %v", err)
	}
	if _, _, err := load.Open(load.Source{Path: filepath.Join(dir, "missing.json")}, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// EncodeCluster is reversible and keeps apart the names that the old
// sanitizing merged (x/y, x\y, x_y; a\0b, a_b); long names are capped with
// a hash, short enough for a file name, and told apart.
func TestEncodeCluster(t *testing.T) {
	long := strings.Repeat("n", 300)
	names := []string{"prod", "lab-basic", "default", "x/y", `x\y`, "x_y", "a\x00b", "a_b", "x%2Fy", "a b", "東京", "..", ".",
		"=evil\x1b[31m\u202e<script>", "~", "a~0123456789abcdef", long, long + "x", strings.Repeat("/", 300), strings.Repeat("é", 100)}
	seen := map[string]string{}
	for _, name := range names {
		seg := load.EncodeCluster(name)
		if prev, ok := seen[seg]; ok {
			t.Errorf("%q and %q both encode as %q", prev, name, seg)
		}
		seen[seg] = name
		if len(seg) > load.MaxClusterSegment || strings.ContainsAny(seg, "/\\\x00") {
			t.Errorf("EncodeCluster(%q) = %q: not a safe path segment", name, seg)
		}
		got, capped := load.DecodeCluster(seg)
		if capped != (len(name) >= 200) {
			t.Errorf("DecodeCluster(%q) capped = %v", seg, capped)
		}
		if !capped && got != name {
			t.Errorf("DecodeCluster(EncodeCluster(%q)) = %q", name, got)
		}
	}
	for name, want := range map[string]string{"prod": "prod", "lab-basic": "lab-basic", "x/y": "x%2Fy", `x\y`: "x%5Cy", "x_y": "x_y", "a\x00b": "a%00b", "~": "%7E"} {
		if got := load.EncodeCluster(name); got != want {
			t.Errorf("EncodeCluster(%q) = %q, want %q", name, got, want)
		}
	}
	if seg := load.EncodeCluster(long); !strings.HasPrefix(seg, strings.Repeat("n", 150)+"~") || len(seg) != 150+17 {
		t.Errorf("capped %q", seg)
	}
}
