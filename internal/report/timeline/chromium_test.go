package timeline_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/correlate"
	"github.com/evanalyze/evanalyze/internal/load/archive"
	"github.com/evanalyze/evanalyze/internal/report/timeline"
)

// chromium returns the headless browser, or skips (CI sets
// EVANALYZE_REQUIRE_CHROMIUM so a missing browser fails there).
func chromium(t *testing.T) string {
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

func runChromium(t *testing.T, bin string, args ...string) (stdout, stderr string) {
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

// The HTML timeline renders in real headless Chromium: the chart has bars,
// the script runs without console errors, and a hostile event message
// stays text.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	a, err := archive.Load(context.Background(), []string{"../../../testdata/lab-basic/events-list.json",
		"../../../testdata/lab-basic/audit.log.gz", "../../../testdata/bad/hostile.jsonl"}, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	res := correlate.Correlate(a.Events, a.Changes)
	o := timeline.Options{Verbose: true}
	tl := timeline.Build(a.Events, a.Changes, res, o)
	var page bytes.Buffer
	if err := timeline.WriteHTML(&page, tl, timeline.Rollouts(res, o)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "timeline.html")
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, logs := runChromium(t, bin, "--dump-dom", "file://"+path)
	m := regexp.MustCompile(`data-bars="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page script did not run (no data-bars); console:\n%s", logs)
	}
	if n, _ := strconv.Atoi(m[1]); n < 10 {
		t.Errorf("the chart has %d bars, want the 10 rollouts and their pods", n)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") {
			t.Errorf("console: %s", line)
		}
	}
	if !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(dom, "<script>alert(1)") {
		t.Error("the hostile message is not shown as text")
	}
	// A screenshot that is not blank.
	shot := filepath.Join(t.TempDir(), "shot.png")
	runChromium(t, bin, "--window-size=1300,900", "--screenshot="+shot, "file://"+path)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	colored, total := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if !(r > 0xf000 && g > 0xf000 && bl > 0xf000) {
				colored++
			}
		}
	}
	if colored*100 < total {
		t.Errorf("the screenshot is blank: %d of %d sampled pixels not white", colored, total)
	}
}
