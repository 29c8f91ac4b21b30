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
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/report/csp"
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

var (
	cspMeta = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
	scripts = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
)

// CheckCSP checks the page's Content-Security-Policy: one meta element,
// no 'unsafe-inline' scripts, and a hash source for each inline script
// computed from the script's bytes as they are in the page. It returns the
// page's scripts.
func CheckCSP(t testing.TB, page []byte) []string {
	t.Helper()
	metas := cspMeta.FindAllSubmatch(page, -1)
	if len(metas) != 1 {
		t.Fatalf("%d Content-Security-Policy meta elements, want 1", len(metas))
	}
	policy := string(metas[0][1])
	var scriptSrc string
	for _, d := range strings.Split(policy, ";") {
		if f := strings.Fields(d); len(f) > 0 && f[0] == "script-src" {
			scriptSrc = strings.Join(f[1:], " ")
		}
	}
	if scriptSrc == "" || strings.Contains(scriptSrc, "unsafe-inline") || !strings.Contains(policy, "default-src 'none'") {
		t.Errorf("policy %q: want default-src 'none' and script-src with hash sources only", policy)
	}
	var found []string
	for _, m := range scripts.FindAllSubmatch(page, -1) {
		found = append(found, string(m[1]))
		if h := csp.Hash(string(m[1])); !strings.Contains(" "+scriptSrc+" ", " "+h+" ") {
			t.Errorf("script %.40q... hashes to %s, not in script-src %s", m[1], h, scriptSrc)
		}
	}
	if len(found) == 0 {
		t.Error("no inline script")
	}
	return found
}

// Inject returns page with a script that sets data-injected on the body
// added after the page's own script, as an escaping slip would let one in:
// under the page's policy it must not run.
func Inject(page []byte) []byte {
	return bytes.Replace(page, []byte("</body>"), []byte(`<script>document.body.setAttribute("data-injected", "1");</script>
<img src="x" onerror="document.body.setAttribute('data-injected', '2')">
</body>`), 1)
}

// Injected reports whether what Inject added ran: the body has its
// attribute.
func Injected(dom string) bool { return injectedRe.MatchString(dom) }

var injectedRe = regexp.MustCompile(`<body[^>]*\sdata-injected=`)
