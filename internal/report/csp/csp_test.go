package csp

import "testing"

func TestHash(t *testing.T) {
	// The example of the CSP Level 3 specification ("hash-source"):
	// alert('Hello, world.'); hashes to qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng=.
	if got, want := Hash("alert('Hello, world.');"), "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"; got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	if got, want := Policy("alert('Hello, world.');"), "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"; got != want {
		t.Errorf("Policy = %s", got)
	}
	if got := Policy(); got != "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'" {
		t.Errorf("Policy() = %s", got)
	}
}
