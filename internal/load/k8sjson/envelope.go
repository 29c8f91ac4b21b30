package k8sjson

import (
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// Unwrap finds the Kubernetes records inside a log shipper's envelope:
//
//   - Azure diagnostic logs through Event Hubs (AKS): {"records":[{...,
//     "properties":{"log":"<audit event as a JSON string>"}}]}, and one such
//     record on its own ({"category":"kube-audit",...,"properties":{"log":
//     ...}}), as storage-account and Log Analytics exports write them
//   - Fluentd/Fluent Bit and test-fixture wrappers: {"log": {...}} or
//     {"log": "<JSON string>"}
//   - CloudWatch Logs exports (EKS): {"@message": "<JSON string>"} or
//     {"message": "<JSON string>"}
//
// It returns the inner records (aliasing rec, or copied into the decoder's
// arena when they were JSON strings) and the envelope's name, or nil when
// rec is no envelope. An Azure Monitor record with no Kubernetes record in
// it (an activity log entry, another resource's diagnostics) gives no
// records and skip, the reason to count it as skipped. Callers try Unwrap
// only for records the decoders did not recognise, so ordinary records pay
// nothing.
func (d *Decoder) Unwrap(rec []byte) (inner [][]byte, envelope, skip string) {
	s := &d.s
	s.Reset(rec)
	if s.Peek() != '{' {
		return nil, "", ""
	}
	var category, operation string
	azure := false
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			break
		}
		switch string(key) {
		case "records":
			if s.Peek() != '[' {
				s.Skip()
				continue
			}
			s.Array()
			for f := true; s.Elem(f); f = false {
				if r := d.recordOf(s); r != nil {
					inner = append(inner, r)
				}
			}
			envelope = "azure-diagnostics"
		case "properties":
			s.Fields(func(k []byte) {
				if string(k) != "log" {
					s.Skip()
				} else if r := jsonValue(s); r != nil {
					inner, envelope = append(inner, r), "azure-diagnostics"
				}
			})
		case "log", "@message", "message":
			if r := jsonValue(s); r != nil {
				inner, envelope = append(inner, r), "log-wrapper"
			}
		case "category", "operationName":
			azure = true
			if v, ok := s.Str(); ok && string(key) == "category" {
				category = string(v)
			} else if ok {
				operation = string(v)
			}
		default:
			s.Skip()
		}
	}
	if s.Err() != nil {
		return nil, "", ""
	}
	if len(inner) == 0 && azure {
		return nil, "azure-diagnostics", "Azure Monitor record without properties.log (category " + quoteOr(category) +
			", operation " + quoteOr(operation) + "): not a Kubernetes record"
	}
	return inner, envelope, ""
}

func quoteOr(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// recordOf reads one element of an Azure "records" array: the JSON string
// in properties.log, else the element itself.
func (d *Decoder) recordOf(s *jsonscan.Scanner) []byte {
	raw := s.Raw()
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var in jsonscan.Scanner
	in.Reset(raw)
	var log []byte
	in.Fields(func(key []byte) {
		if string(key) != "properties" {
			in.Skip()
			return
		}
		in.Fields(func(k []byte) {
			if string(k) != "log" {
				in.Skip()
			} else if r := jsonValue(&in); r != nil && log == nil {
				log = append([]byte(nil), r...) // in's arena is lost with in: copy
			}
		})
	})
	if log != nil {
		return log
	}
	return raw
}

// jsonValue returns an object value, or the contents of a string value
// that holds a JSON object; nil otherwise.
func jsonValue(s *jsonscan.Scanner) []byte {
	switch s.Peek() {
	case '{':
		return s.Raw()
	case '"':
		v, _ := s.Str()
		for i := 0; i < len(v); i++ {
			switch v[i] {
			case ' ', '\t', '\r', '\n':
				continue
			case '{':
				return v
			}
			return nil
		}
		return nil
	}
	s.Skip()
	return nil
}
