// Package htmltest renders HTML reports in real headless Chromium for tests:
// the DOM after scripts ran, the console messages, and how much of a
// screenshot is not blank.
package htmltest

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Page is a rendered page.
type Page struct {
	DOM     string   // document after scripts ran (--dump-dom)
	Console []string // console messages and uncaught errors
	Inked   float64  // fraction of sampled screenshot pixels that are not white
	Shot    string   // the screenshot file (in a test temp dir)
}

// Chromium returns the browser, or skips the test; with
// EVANALYZE_REQUIRE_CHROMIUM set (CI) a missing browser fails it.
func Chromium(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("EVANALYZE_REQUIRE_CHROMIUM") != "" {
		t.Fatal("chromium not found (Debian package chromium)")
	}
	t.Skip("chromium not installed (Debian package chromium); .ci/run installs it")
	return ""
}

// Render writes html to a file and renders it.
func Render(t testing.TB, html []byte, width, height int) Page {
	t.Helper()
	bin := Chromium(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "page.html")
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	var p Page
	dom, logs := run(t, bin, "--dump-dom", "file://"+path)
	p.DOM = dom
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") {
			p.Console = append(p.Console, line)
		}
	}
	p.Shot = filepath.Join(dir, "shot.png")
	run(t, bin, "--window-size="+itoa(width)+","+itoa(height), "--screenshot="+p.Shot, "file://"+path)
	f, err := os.Open(p.Shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	inked, total := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if !(r > 0xf000 && g > 0xf000 && bl > 0xf000) {
				inked++
			}
		}
	}
	p.Inked = float64(inked) / float64(max(total, 1))
	return p
}

func itoa(n int) string {
	return strconv.Itoa(n)
}

func run(t testing.TB, bin string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}
