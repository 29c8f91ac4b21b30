// Package reporttest serves the report packages' tests: it loads the
// repository's recordings (testdata/ at the root), correlates them, and
// compares output with golden files refreshed by -update.
package reporttest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
)

// Root is the repository's testdata/ seen from a package in
// internal/report; recordings are named relative to it.
const Root = "../../../testdata"

// Load loads the recordings (files or directories under Root) as one
// archive, released when the test ends.
func Load(t testing.TB, paths ...string) *archive.Archive {
	t.Helper()
	return LoadCluster(t, "", paths...)
}

// LoadCluster is Load naming the cluster of the inputs.
func LoadCluster(t testing.TB, cluster string, paths ...string) *archive.Archive {
	t.Helper()
	return LoadOptions(t, archive.Options{Cluster: cluster}, paths...)
}

// LoadOptions is Load with options.
func LoadOptions(t testing.TB, opts archive.Options, paths ...string) *archive.Archive {
	t.Helper()
	full := make([]string, len(paths))
	for i, p := range paths {
		full[i] = filepath.Join(Root, p)
	}
	a, err := archive.Load(context.Background(), full, opts)
	if err != nil {
		t.Fatalf("load %v: %v", paths, err)
	}
	t.Cleanup(a.Release)
	return a
}

// Correlate loads the recordings and correlates them.
func Correlate(t testing.TB, paths ...string) []correlate.Rollout {
	t.Helper()
	a := Load(t, paths...)
	return correlate.Correlate(a.Events(), a.Changes).Rollouts
}

// Clusters correlates each recording as a cluster of its own name, as if
// they were one archive of several clusters.
func Clusters(t testing.TB, recordings ...string) []correlate.Rollout {
	t.Helper()
	var out []correlate.Rollout
	for _, rec := range recordings {
		a := LoadCluster(t, rec, rec)
		out = append(out, correlate.Correlate(a.Events(), a.Changes).Rollouts...)
	}
	return out
}

// Recordings are the directories under Root holding recorded inputs:
// all but golden/ (outputs).
func Recordings(t testing.TB) []string {
	t.Helper()
	ents, err := os.ReadDir(Root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "golden" {
			out = append(out, e.Name())
		}
	}
	return out
}

// Golden compares got with the file at path (testdata/NAME.golden in the
// package), or rewrites the file when update is set.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (rerun with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update and review the diff):\n%s", path, got)
	}
}
