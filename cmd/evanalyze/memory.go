package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// defaultMemory is the memory budget when neither --memory nor GOMEMLIMIT
// sets one.
const defaultMemory = 1 << 30

// memoryFlag is --memory: a byte size such as 1GiB, 512MiB, 800M or
// 2000000000.
type memoryFlag struct {
	bytes int64
	set   bool
}

var _ pflag.Value = (*memoryFlag)(nil)

func (m *memoryFlag) String() string {
	if !m.set {
		return "1GiB"
	}
	return formatBytes(m.bytes)
}

func (m *memoryFlag) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	if n < 16<<20 {
		return fmt.Errorf("%s is below the smallest budget, 16MiB", s)
	}
	m.bytes, m.set = n, true
	return nil
}

func (m *memoryFlag) Type() string { return "size" }

// apply sets the Go runtime's soft memory limit: the flag's, else
// GOMEMLIMIT's (which the runtime read at start), else defaultMemory.
func (m *memoryFlag) apply() {
	switch {
	case m.set:
		debug.SetMemoryLimit(m.bytes)
	case os.Getenv("GOMEMLIMIT") == "":
		debug.SetMemoryLimit(defaultMemory)
	}
}

// budget is the memory budget in bytes: the flag's, else GOMEMLIMIT's,
// else defaultMemory.
func (m *memoryFlag) budget() int64 {
	if m.set {
		return m.bytes
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	return defaultMemory
}

// spillBytes is how many bytes of decoded rows a load holds before they
// spill to disk: a quarter of the budget, since deduplicating and sorting a
// group read back takes about as much again, and correlating it and the
// kept audit writes the rest.
func (m *memoryFlag) spillBytes() int64 { return m.budget() / 4 }

var byteUnits = []struct {
	suffix string
	n      int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
}

// parseBytes reads a size in bytes with an optional unit: binary (KiB,
// MiB, GiB, TiB, or Kubernetes' Ki, Mi, Gi, Ti) or decimal (K, M, G, T,
// with or without B).
func parseBytes(s string) (int64, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if len(num) > len(u.suffix) && strings.EqualFold(num[len(num)-len(u.suffix):], u.suffix) {
			num, mult = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.n
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("%q is not a size (use e.g. 512MiB, 1GiB, 800M)", s)
	}
	return int64(v * float64(mult)), nil
}

func formatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.n && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
