package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"1GiB", 1 << 30}, {"256MiB", 256 << 20}, {"256mib", 256 << 20}, {"512Mi", 512 << 20}, {"1.5GiB", 3 << 29},
		{"800M", 800e6}, {"800MB", 800e6}, {"2G", 2e9}, {"64KiB", 64 << 10}, {"2000000000", 2e9}, {" 1 GiB ", 1 << 30}, {"100B", 100},
	} {
		got, err := parseBytes(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "GiB", "-1GiB", "1XB", "lots", "1e30"} {
		if n, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", bad, n)
		}
	}
	var m memoryFlag
	if err := m.Set("1MiB"); err == nil {
		t.Error("--memory 1MiB accepted, want the 16MiB floor")
	}
	if err := m.Set("768MiB"); err != nil || m.bytes != 768<<20 || m.String() != "768MiB" {
		t.Errorf("--memory 768MiB: %d %q %v", m.bytes, m.String(), err)
	}
}

// Rows that pass the memory budget spill to disk and are read back in
// groups of namespaces: rollouts and stats give the bytes of a load in
// memory, with any number of workers, and the spill files are gone after.
func TestSpilledReports(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	fleet := t.TempDir()
	for _, lab := range []string{"lab-basic", "lab-jobs", "lab-lifecycle", "lab-workloads", "lab-failures"} {
		if err := os.CopyFS(filepath.Join(fleet, "cluster="+lab), os.DirFS(filepath.Join("../../testdata", lab))); err != nil {
			t.Fatal(err)
		}
	}
	pq := t.TempDir()
	if _, errOut, code := runCmd(t, "", "convert", "-q", fleet, "--to", pq); code != exitOK {
		t.Fatalf("convert: exit %d %s", code, errOut)
	}
	for _, args := range [][]string{
		{"rollouts", "-o", "json", fleet},
		{"rollouts", "-o", "json", pq},
		{"rollouts", "../../testdata/lab-basic"},
		{"stats", "-o", "json", fleet},
		{"stats", "--group-by", "cluster,kind", fleet},
		{"timeline", "-o", "json", "--since", "2026-11-25T00:00:00Z", "--until", "2026-11-26T00:00:00Z", fleet},
		{"export", "--otlp-file", "-", "--max-spans", "50", fleet},
		{"timeline", "--workload", "deployment/cart-api", "-v", "--since", "2026-11-25T00:00:00Z", "../../testdata/lab-basic"},
		{"timeline", "-o", "html", "--since", "2026-11-25T03:29:00Z", "--until", "2026-11-25T03:31:00Z", "../../testdata/lab-basic"},
	} {
		want, _, code := runCmd(t, "", append(args[:1:1], append([]string{"-q"}, args[1:]...)...)...)
		if code != exitOK || len(want) < 200 {
			t.Fatalf("%v: exit %d, %d bytes", args, code, len(want))
		}
		for _, c := range []struct{ spill, workers string }{{"1", "1"}, {"20KiB", "8"}, {"64KiB", "2"}} {
			tmp := t.TempDir()
			got, errOut, code := runCmd(t, "", append(args[:1:1], append([]string{"-q", "--spill-after", c.spill, "--workers", c.workers, "--temp-dir", tmp}, args[1:]...)...)...)
			if code != exitOK || got != want {
				t.Errorf("%v --spill-after %s --workers %s: exit %d %s; output differs from the load in memory (%d vs %d bytes)",
					args, c.spill, c.workers, code, errOut, len(got), len(want))
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("%v: spill files left behind: %v", args, left)
			}
		}
	}
	// Rejected records are reported once, however many groups.
	bad := filepath.Join(t.TempDir(), "cluster=x")
	if err := os.CopyFS(bad, os.DirFS("../../testdata/lab-basic")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "broken.jsonl"), []byte("{\"kind\":\"Event\"\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, want, _ := runCmd(t, "", "rollouts", bad)
	_, got, _ := runCmd(t, "", "rollouts", "--spill-after", "1", "--temp-dir", t.TempDir(), bad)
	if !strings.Contains(want, "rejected:") || got != want {
		t.Errorf("stderr with spilling:\n%s\nin memory:\n%s", got, want)
	}
}
