package archive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

// The spill files are gone however LoadEach ends: after success, when fn
// fails, when the context is cancelled while reading back, and no Arrow
// memory is left behind.
func TestSpillFilesRemoved(t *testing.T) {
	errStop := errors.New("stop")
	for _, c := range []struct {
		name string
		fn   func(n int, cancel context.CancelFunc) error
		want error
	}{
		{"success", func(int, context.CancelFunc) error { return nil }, nil},
		{"fn fails", func(n int, _ context.CancelFunc) error {
			if n == 2 {
				return errStop
			}
			return nil
		}, errStop},
		{"cancelled", func(n int, cancel context.CancelFunc) error {
			if n == 2 {
				cancel()
			}
			return nil
		}, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			tmp := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n, spilled := 0, false
			err := LoadEach(ctx, []string{"../../../testdata/lab-basic"}, Options{Mem: mem, SpillBytes: 1, TempDir: tmp}, func(a *Archive) error {
				n++
				if a.Group != n-1 {
					t.Errorf("archive %d has group %d", n, a.Group)
				}
				if ents, _ := os.ReadDir(tmp); len(ents) == 1 && strings.HasPrefix(ents[0].Name(), "evanalyze-spill-") {
					spilled = true
				}
				return c.fn(n, cancel)
			})
			if !errors.Is(err, c.want) {
				t.Errorf("LoadEach: %v, want %v", err, c.want)
			}
			if !spilled || n < 2 {
				t.Errorf("%d archives, spilled %v", n, spilled)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
	// A temporary directory that cannot be made is an error that says so.
	err := LoadEach(context.Background(), []string{"../../../testdata/lab-basic"}, Options{SpillBytes: 1, TempDir: filepath.Join(t.TempDir(), "missing")}, func(*Archive) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "spill") {
		t.Errorf("LoadEach with a missing temporary directory: %v", err)
	}
}
