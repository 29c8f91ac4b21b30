package main

import "bytes"

// Byte scanners for the spans that templates replace. They do what these regular
// expressions (with the boundary checks noted) would do, at memory speed:
//
//	UUID       [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}  no alphanumeric on either side
//	time       [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z  no digit before, no alphanumeric after
//	name hex   [A-Za-z0-9]\.([0-9a-f]{16})  no alphanumeric after
//	rv         "resourceVersion": ?"([0-9]+)"  also with escaped quotes (\")
//	namespace  "namespace": ?"([a-z0-9-]+)  also escaped, and /namespaces/([a-z0-9-]+)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func allOf(b []byte, f func(byte) bool) bool {
	for _, c := range b {
		if !f(c) {
			return false
		}
	}
	return true
}

// forEachUUID calls f for every lowercase UUID.
func forEachUUID(data []byte, f func(start, end int)) {
	// Anchor on the second dash of a candidate: data[i] == '-' at offset 13.
	for i := 13; i+23 <= len(data); {
		j := bytes.IndexByte(data[i:len(data)-22], '-')
		if j < 0 {
			return
		}
		i += j
		s := i - 13
		e := s + 36
		if data[s+8] == '-' && data[s+18] == '-' && data[s+23] == '-' &&
			allOf(data[s:s+8], isLowerHex) && allOf(data[s+9:s+13], isLowerHex) &&
			allOf(data[s+14:s+18], isLowerHex) && allOf(data[s+19:s+23], isLowerHex) &&
			allOf(data[s+24:e], isLowerHex) &&
			!isAlnum(before(data, s)) && !isAlnum(after(data, e)) {
			f(s, e)
			i = e + 13
			continue
		}
		i++
	}
}

// forEachTime calls f for every RFC 3339 UTC timestamp, whole-second or fractional;
// sec is its Unix time in whole seconds.
func forEachTime(data []byte, f func(start, end int, sec int64)) {
	for i := 10; i+10 <= len(data); {
		j := bytes.IndexByte(data[i:len(data)-9], 'T')
		if j < 0 {
			return
		}
		i += j
		s := i - 10
		b := data[s:]
		if b[4] == '-' && b[7] == '-' && b[13] == ':' && b[16] == ':' &&
			allOf(b[0:4], isDigit) && allOf(b[5:7], isDigit) && allOf(b[8:10], isDigit) &&
			allOf(b[11:13], isDigit) && allOf(b[14:16], isDigit) && allOf(b[17:19], isDigit) &&
			!isDigit(before(data, s)) {
			e := s + 19
			if e < len(data) && data[e] == '.' {
				k := e + 1
				for k < len(data) && k-e <= 9 && isDigit(data[k]) {
					k++
				}
				if k-e-1 >= 1 {
					e = k
				}
			}
			if e < len(data) && data[e] == 'Z' && !isAlnum(after(data, e+1)) {
				if sec, ok := parseSec(b); ok {
					f(s, e+1, sec)
					i = e + 1
					continue
				}
			}
		}
		i++
	}
}

// forEachNameHex calls f for the 16 hex digits of every "<name>.<16 hex>".
func forEachNameHex(data []byte, f func(start, end int, v int64)) {
	for i := 1; i+17 <= len(data); {
		j := bytes.IndexByte(data[i:len(data)-16], '.')
		if j < 0 {
			return
		}
		i += j
		s, e := i+1, i+17
		if isAlnum(data[i-1]) && allOf(data[s:e], isLowerHex) && !isAlnum(after(data, e)) {
			var v uint64
			for _, c := range data[s:e] {
				if c <= '9' {
					v = v<<4 | uint64(c-'0')
				} else {
					v = v<<4 | uint64(c-'a'+10)
				}
			}
			if int64(v) >= 0 {
				f(s, e, int64(v))
			}
			i = e
			continue
		}
		i++
	}
}

// valueAfterKey returns where the string value of a JSON key found at data[k:k+len(key)]
// starts, when the key is `"key": "` or `"key":"`, or the same with \" quotes.
func valueAfterKey(data []byte, k, n int) (int, bool) {
	if k < 1 {
		return 0, false
	}
	q := []byte(`"`)
	if data[k-1] != '"' {
		return 0, false
	}
	if k >= 2 && data[k-2] == '\\' {
		q = []byte(`\"`)
	}
	p := k + n
	if !bytes.HasPrefix(data[p:], q) {
		return 0, false
	}
	p += len(q)
	if p >= len(data) || data[p] != ':' {
		return 0, false
	}
	p++
	if p < len(data) && data[p] == ' ' {
		p++
	}
	if !bytes.HasPrefix(data[p:], q) {
		return 0, false
	}
	return p + len(q), true
}

// forEachRV calls f for the digits of every resourceVersion string value.
func forEachRV(data []byte, f func(start, end int, v int64)) {
	key := []byte("resourceVersion")
	for i := 0; ; {
		j := bytes.Index(data[i:], key)
		if j < 0 {
			return
		}
		k := i + j
		i = k + len(key)
		s, ok := valueAfterKey(data, k, len(key))
		if !ok {
			continue
		}
		e := s
		var v int64
		for e < len(data) && isDigit(data[e]) && e-s < 18 {
			v = v*10 + int64(data[e]-'0')
			e++
		}
		if e > s && e < len(data) && (data[e] == '"' || data[e] == '\\') {
			f(s, e, v)
		}
	}
}

// forEachNamespaceValue calls f for every namespace name in a "namespace" field or a
// /namespaces/<name> path.
func forEachNamespaceValue(data []byte, f func(ns []byte)) {
	key := []byte("namespace")
	for i := 0; ; {
		j := bytes.Index(data[i:], key)
		if j < 0 {
			return
		}
		k := i + j
		i = k + len(key)
		s, ok := valueAfterKey(data, k, len(key))
		if !ok {
			if k < 1 || data[k-1] != '/' || !bytes.HasPrefix(data[i:], []byte("s/")) {
				continue
			}
			s = i + 2
		}
		e := s
		for e < len(data) && (isDigit(data[e]) || data[e] >= 'a' && data[e] <= 'z' || data[e] == '-') {
			e++
		}
		if e > s {
			f(data[s:e])
		}
	}
}

// forEachNameToken calls f for every maximal run of [A-Za-z0-9_-] that starts with a
// lowercase letter or digit (namespace names are DNS labels).
func forEachNameToken(data []byte, f func(start, end int)) {
	for i := 0; i < len(data); {
		if !isNameByte(data[i]) {
			i++
			continue
		}
		s := i
		for i < len(data) && isNameByte(data[i]) {
			i++
		}
		if c := data[s]; isDigit(c) || c >= 'a' && c <= 'z' {
			f(s, i)
		}
	}
}
