package k8sjson

import (
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// Unwrap finds the Kubernetes records inside a log shipper's envelope:
//
//   - Azure diagnostic logs through Event Hubs (AKS): {"records":[{...,
//     "properties":{"log":"<audit event as a JSON string>"}}]}
//   - Fluentd/Fluent Bit and test-fixture wrappers: {"log": {...}} or
//     {"log": "<JSON string>"}
//   - CloudWatch Logs exports (EKS): {"@message": "<JSON string>"} or
//     {"message": "<JSON string>"}
//
// It returns the inner records (aliasing rec, or copied into the decoder's
// arena when they were JSON strings) and the envelope's name, or nil when
// rec is no envelope. Callers try it only for records the decoders did not
// recognise, so ordinary records pay nothing.
func (d *Decoder) Unwrap(rec []byte) (inner [][]byte, envelope string) {
	s := &d.s
	s.Reset(rec)
	if s.Peek() != '{' {
		return nil, ""
	}
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
		case "log", "@message", "message":
			if r := jsonValue(s); r != nil {
				inner, envelope = append(inner, r), "log-wrapper"
			}
		default:
			s.Skip()
		}
	}
	if s.Err() != nil {
		return nil, ""
	}
	return inner, envelope
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
	in.Object()
	for first := true; ; first = false {
		key, ok := in.Key(first)
		if !ok {
			break
		}
		if string(key) != "properties" || in.Peek() != '{' {
			in.Skip()
			continue
		}
		in.Object()
		for f := true; ; f = false {
			k, ok := in.Key(f)
			if !ok {
				break
			}
			if string(k) == "log" {
				if r := jsonValue(&in); r != nil {
					// in's arena is lost with in: copy.
					return append([]byte(nil), r...)
				}
				continue
			}
			in.Skip()
		}
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
