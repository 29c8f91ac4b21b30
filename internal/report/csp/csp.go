// Package csp owns the Content-Security-Policy of the HTML reports: nothing
// is loaded from anywhere, styles are inline, and the only script that runs
// is the page's own, named by the SHA-256 of its bytes (CSP Level 2 hash
// source), so that markup which an escaping slip let into the page cannot
// execute ('unsafe-inline' would let it).
package csp

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Hash is the hash source of an inline script: 'sha256-' and the base64 of
// the SHA-256 of script, which must be the exact text between <script> and
// </script> (white space included) for a browser to run it.
func Hash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// Policy is the policy of a self-contained page whose inline scripts are
// scripts: no network, inline styles, and these scripts only.
func Policy(scripts ...string) string {
	src := make([]string, len(scripts))
	for i, s := range scripts {
		src[i] = Hash(s)
	}
	if len(src) == 0 {
		src = []string{"'none'"}
	}
	return "default-src 'none'; style-src 'unsafe-inline'; script-src " + strings.Join(src, " ")
}
