package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exporterLines writes lab-basic's events as event-exporter lines, once
// for each cluster name (the clusterName field), into one file.
func exporterLines(t *testing.T, clusters []string) string {
	t.Helper()
	raw, err := os.ReadFile(lab + "/events-list.json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range clusters {
		for _, it := range list.Items {
			it["clusterName"] = c
			line, err := json.Marshal(it)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Cluster names that the old sanitizing merged into one partition (x/y,
// x\y, x_y; a\0b, a_b), a name too long for a file name, and a hostile one
// each read back from the archive as themselves: every report from the
// archive equals the report from the original lines.
func TestConvertClusterNames(t *testing.T) {
	clusters := []string{"x/y", `x\y`, "x_y", "a\x00b", "a_b", "x%2Fy", strings.Repeat("c", 300), strings.Repeat("c", 300) + "d",
		"=evil\x1b[31m\u202e<script>", "..", "default"}
	in := exporterLines(t, clusters)
	dir := filepath.Join(t.TempDir(), "archive")
	if _, errOut, code := runCmd(t, "", "convert", "-q", in, "--to", dir); code != exitOK {
		t.Fatalf("convert: exit %d %s", code, errOut)
	}
	for _, args := range [][]string{{"rollouts", "-o", "json"}, {"stats", "-o", "json"}, {"inspect", "-o", "json"}} {
		want, _, code1 := runCmd(t, "", append(append([]string{}, args...), "-q", in)...)
		got, _, code2 := runCmd(t, "", append(append([]string{}, args...), "-q", dir)...)
		if args[0] == "inspect" {
			// Files differ; the clusters and their counts must not.
			want, got = clustersOf(t, want), clustersOf(t, got)
		}
		if code1 != exitOK || code2 != exitOK || got != want {
			t.Errorf("%v: exit %d/%d, output from the archive differs:\n got %.600s\nwant %.600s", args, code1, code2, got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(clusters) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%d partitions for %d clusters: %q", len(entries), len(clusters), names)
	}
	// One cluster of the archive, selected by its path, is that cluster.
	out, _, code := runCmd(t, "", "inspect", "-o", "json", filepath.Join(dir, "cluster=x%2Fy"))
	if code != exitOK || clustersOf(t, out) != `[{"count":139,"name":"x/y"}]` {
		t.Errorf("cluster=x%%2Fy: exit %d, clusters %s", code, clustersOf(t, out))
	}
}

func clustersOf(t *testing.T, inspectJSON string) string {
	t.Helper()
	var v struct {
		Totals struct {
			Summary struct {
				Clusters json.RawMessage `json:"clusters"`
			} `json:"summary"`
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(inspectJSON), &v); err != nil {
		t.Fatalf("%v: %.200s", err, inspectJSON)
	}
	var compact []map[string]any
	json.Unmarshal(v.Totals.Summary.Clusters, &compact)
	b, _ := json.Marshal(compact)
	return string(b)
}

// A symbolic link inside --to is never followed: convert refuses the
// directory (with --force too) and the link's target is left as it was.
func TestConvertSymlinks(t *testing.T) {
	for _, link := range []string{"cluster=default", "cluster=default/date=2026-11-25/events.parquet"} {
		t.Run(link, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "archive")
			outside := filepath.Join(t.TempDir(), "precious")
			if err := os.WriteFile(outside, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			target := outside
			if !strings.HasSuffix(link, ".parquet") {
				target = filepath.Dir(outside)
			}
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(link)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
			for _, force := range []bool{false, true} {
				args := []string{"convert", "-q", lab + "/events-list.json", "--to", dir}
				if force {
					args = append(args, "--force")
				}
				_, errOut, code := runCmd(t, "", args...)
				if code != exitFailure || !strings.Contains(errOut, "symbolic link") {
					t.Errorf("force %v: exit %d, %q", force, code, errOut)
				}
			}
			if b, err := os.ReadFile(outside); err != nil || string(b) != "keep me" {
				t.Errorf("the link's target changed: %q %v", b, err)
			}
			if m, _ := filepath.Glob(filepath.Join(filepath.Dir(outside), "*", "*.parquet")); len(m) > 0 {
				t.Errorf("written through the link: %v", m)
			}
		})
	}
}

// A second convert into the same --to is refused; with --force it replaces
// the archive, so no partition of the first run is read back.
func TestConvertReplacesArchive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive")
	if _, errOut, code := runCmd(t, "", "convert", "-q", "--cluster-name", "old", lab, "--to", dir); code != exitOK {
		t.Fatalf("convert: exit %d %s", code, errOut)
	}
	_, errOut, code := runCmd(t, "", "convert", "-q", "../../testdata/lab-jobs", "--to", dir)
	if code != exitFailure || !strings.Contains(errOut, "holds an archive") || !strings.Contains(errOut, "--force") {
		t.Errorf("second convert: exit %d, %q", code, errOut)
	}
	if _, errOut, code := runCmd(t, "", "convert", "-q", "--force", "../../testdata/lab-jobs", "--to", dir); code != exitOK {
		t.Fatalf("convert --force: exit %d %s", code, errOut)
	}
	want, _, _ := runCmd(t, "", "rollouts", "-o", "json", "-q", "../../testdata/lab-jobs")
	got, _, _ := runCmd(t, "", "rollouts", "-o", "json", "-q", dir)
	if got != want {
		t.Errorf("the replaced archive reads back other rollouts (%d vs %d bytes)", len(got), len(want))
	}
	if _, err := os.Stat(filepath.Join(dir, "cluster=old")); err == nil {
		t.Error("the old archive's partition is still there")
	}

	// A directory holding anything else is never written into nor cleared.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	for _, force := range []string{"--force=false", "--force"} {
		_, errOut, code := runCmd(t, "", "convert", "-q", force, lab+"/events-list.json", "--to", other)
		if code != exitFailure || !strings.Contains(errOut, "not empty and not an archive") {
			t.Errorf("%s into a used directory: exit %d, %q", force, code, errOut)
		}
	}
	if entries, _ := os.ReadDir(other); len(entries) != 1 {
		t.Errorf("the used directory now holds %d entries", len(entries))
	}
}

// inspect of a converted archive shows the audit summary of the original
// files: the write requests by level, stage, verb, resource and user.
func TestInspectConvertedArchiveAudit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive")
	if _, errOut, code := runCmd(t, "", "convert", "-q", lab, "--to", dir); code != exitOK {
		t.Fatalf("convert: exit %d: %s", code, errOut)
	}
	audit := func(args ...string) string {
		out, errOut, code := runCmd(t, "", append([]string{"inspect"}, args...)...)
		if code != exitOK {
			t.Fatalf("inspect %v: exit %d: %s", args, code, errOut)
		}
		_, after, _ := strings.Cut(out, "\naudit:")
		// Event writes are events in the archive, not audit records.
		before, _, _ := strings.Cut(after, "event write")
		before = before[:strings.LastIndex(before, ",")]
		_, levels, _ := strings.Cut(after, "\n  levels:")
		levels, _, _ = strings.Cut(levels, "\nnot read:")
		return strings.TrimSpace(before + levels)
	}
	if got, want := audit(dir), audit(lab); got != want {
		t.Errorf("converted archive's audit summary\n%s\nwant\n%s", got, want)
	}
}
