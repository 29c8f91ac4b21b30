package load

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// A Parquet archive names each cluster's partition by a path segment
// cluster=NAME (docs/schema.md, "Parquet archive"). Cluster names come from
// the records (an event exporter's clusterName) and may hold anything, so
// NAME is the cluster name encoded reversibly, Hive-style: every byte
// other than ASCII letters, digits, '.', '_' and '-' is written %XX (upper
// case hex), so that x/y, x\y, x_y and a NUL never meet in one directory
// or leave it. A name whose encoding is longer than MaxClusterSegment bytes
// is cut and given a hash: its first bytes, '~' and 16 hex digits of the
// SHA-256 of the whole name. A raw '~' never occurs in a full encoding,
// so a capped segment is told from a full one; its files keep the whole
// name in their rows, and reading takes it from there.

// MaxClusterSegment is the longest encoded cluster name a partition path
// segment holds whole (file names are at most 255 bytes on common file
// systems; "cluster=" and room to spare come on top).
const MaxClusterSegment = 200

// cappedPrefix is how many bytes of a capped encoding are kept.
const cappedPrefix = 150

// EncodeCluster returns the NAME of the cluster=NAME segment of a cluster.
func EncodeCluster(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		const hexUpper = "0123456789ABCDEF"
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	enc := b.String()
	if len(enc) <= MaxClusterSegment {
		return enc
	}
	cut := cappedPrefix
	if i := strings.LastIndexByte(enc[:cut], '%'); i > cut-3 {
		cut = i // do not split an escape
	}
	sum := sha256.Sum256([]byte(name))
	return enc[:cut] + "~" + hex.EncodeToString(sum[:8])
}

// DecodeCluster returns the cluster a cluster=NAME segment names, the
// inverse of EncodeCluster: %XX escapes are decoded (others, such as a '%'
// not followed by two hex digits, are kept as they are, as Hive does).
// capped reports a segment EncodeCluster cut: it does not hold the whole
// name, which is in the rows of the files below it.
func DecodeCluster(seg string) (name string, capped bool) {
	if isCapped(seg) {
		return "", true
	}
	if !strings.Contains(seg, "%") {
		return seg, false
	}
	var b strings.Builder
	for i := 0; i < len(seg); i++ {
		if seg[i] == '%' && i+2 < len(seg) && unhex(seg[i+1]) >= 0 && unhex(seg[i+2]) >= 0 {
			b.WriteByte(byte(unhex(seg[i+1])<<4 | unhex(seg[i+2])))
			i += 2
			continue
		}
		b.WriteByte(seg[i])
	}
	return b.String(), false
}

// isCapped reports whether seg ends in '~' and 16 lowercase hex digits.
func isCapped(seg string) bool {
	const n = 1 + 16
	if len(seg) < n || seg[len(seg)-n] != '~' {
		return false
	}
	for _, c := range []byte(seg[len(seg)-16:]) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
