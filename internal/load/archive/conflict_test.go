package archive

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// coreEvent is a core/v1 event line.
func coreEvent(name, uid, rv, reason string, count int, object string) string {
	return `{"apiVersion":"v1","kind":"Event","metadata":{"name":"` + name + `","namespace":"shop","uid":"` + uid + `","resourceVersion":"` + rv + `"},` +
		`"involvedObject":{"kind":"Pod","namespace":"shop","name":"` + object + `"},"reason":"` + reason + `","type":"Normal","message":"m",` +
		`"count":` + string(rune('0'+count)) + `,"firstTimestamp":"2026-11-25T03:28:25Z","lastTimestamp":"2026-11-25T03:28:2` + string(rune('0'+count)) + `Z"}`
}

// Observations of one event that disagree on what never changes in an
// event's life (its uid, involved object, reason, type), or that claim the
// same resourceVersion with other content, are kept but warned about and
// counted (they were kept as observations without a word). The count
// growing, identical repeats and the audit log's copy are no conflict.
func TestConflictingObservations(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		coreEvent("web-1.a", "u1", "10", "Pulled", 1, "web-1"),
		coreEvent("web-1.a", "u1", "11", "Pulled", 2, "web-1"),  // the count grew: an update
		coreEvent("web-1.a", "u1", "11", "Pulled", 2, "web-1"),  // an exact repeat: a duplicate
		coreEvent("web-1.a", "u1", "12", "Killing", 3, "web-1"), // another reason
		coreEvent("web-1.a", "u2", "13", "Pulled", 4, "web-1"),  // another uid
		coreEvent("web-1.a", "u1", "11", "Pulled", 5, "web-1"),  // resourceVersion 11 with another count
		coreEvent("web-1.a", "u1", "14", "Pulled", 6, "web-2"),  // another involved object
	}
	a1 := filepath.Join(dir, "a.jsonl")
	if err := os.WriteFile(a1, []byte(strings.Join(lines[:3], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b1 := filepath.Join(dir, "b.jsonl")
	if err := os.WriteFile(b1, []byte(strings.Join(lines[3:], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{
		b1 + `:1: event shop/web-1.a: conflicts with ` + a1 + `:1: reason "Killing", was "Pulled" (kept as another observation)`,
		b1 + `:2: event shop/web-1.a: conflicts with ` + a1 + `:1: uid "u2", was "u1" (kept as another observation)`,
		b1 + `:3: event shop/web-1.a: conflicts with ` + a1 + `:2: resourceVersion 11 with other content (kept as another observation)`,
		b1 + `:4: event shop/web-1.a: conflicts with ` + a1 + `:1: involved object name "web-2", was "web-1" (kept as another observation)`,
	}
	for _, paths := range [][]string{{dir}, {b1, a1}} {
		a := loadT(t, paths, Options{Workers: 2})
		if a.Totals.Observations != 6 || a.Totals.Duplicates != 1 || a.Totals.Conflicts != 4 || a.Totals.Events != 1 {
			t.Errorf("%v: totals %+v", paths, a.Totals)
		}
		var got []string
		for _, f := range a.Files {
			if f.File == a1 && (f.Conflicts != 0 || len(f.WarningList) != 0) {
				t.Errorf("%s: %d conflicts, %v", f.File, f.Conflicts, f.WarningList)
			}
			for _, w := range f.WarningList {
				got = append(got, w.Error())
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%v: warnings\n%s\nwant\n%s", paths, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
