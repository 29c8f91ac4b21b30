package follow

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTailRotation writes a file, appends to it, rotates it (rename, new
// file), truncates it in place, and checks that the tail reads every line
// once, in order, across all of it.
func TestTailRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.log")
	if err := os.WriteFile(path, []byte("1\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tl, err := openTail(ctx, path, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	var mu sync.Mutex
	var read strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 3)
		for {
			n, err := tl.Read(buf)
			mu.Lock()
			read.Write(buf[:n])
			s := read.String()
			mu.Unlock()
			if err != nil || strings.HasSuffix(s, "end\n") {
				return
			}
		}
	}()
	// waitFor waits until the tail has read want (the next step of the
	// test must not race with its reading).
	waitFor := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			mu.Lock()
			s := read.String()
			mu.Unlock()
			if s == want {
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("read %q, want %q", read.String(), want)
	}
	appendTo := func(s string) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, s); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	waitFor("1\n2\n")
	appendTo("3\n")
	waitFor("1\n2\n3\n")
	// Rotation: the old file gets a last line, is renamed, a new one follows.
	appendTo("4\n")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo("5\n6\n")
	waitFor("1\n2\n3\n4\n5\n6\n")
	// copytruncate: the file starts again, shorter.
	if err := os.WriteFile(path, []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("1\n2\n3\n4\n5\n6\n7\n")
	appendTo("end\n")
	<-done
	if tl.Rotations != 1 || tl.Truncations != 1 {
		t.Errorf("%d rotations, %d truncations; want 1 and 1", tl.Rotations, tl.Truncations)
	}
}
