package main

import "testing"

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"1GiB", 1 << 30}, {"256MiB", 256 << 20}, {"256mib", 256 << 20}, {"512Mi", 512 << 20}, {"1.5GiB", 3 << 29},
		{"800M", 800e6}, {"800MB", 800e6}, {"2G", 2e9}, {"64KiB", 64 << 10}, {"2000000000", 2e9}, {" 1 GiB ", 1 << 30}, {"100B", 100},
	} {
		got, err := parseBytes(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "GiB", "-1GiB", "1XB", "lots", "1e30"} {
		if n, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", bad, n)
		}
	}
	var m memoryFlag
	if err := m.Set("1MiB"); err == nil {
		t.Error("--memory 1MiB accepted, want the 16MiB floor")
	}
	if err := m.Set("768MiB"); err != nil || m.bytes != 768<<20 || m.String() != "768MiB" {
		t.Errorf("--memory 768MiB: %d %q %v", m.bytes, m.String(), err)
	}
}
