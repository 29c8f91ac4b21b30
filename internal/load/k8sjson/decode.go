// Package k8sjson decodes Kubernetes Event records in JSON: core/v1 and
// events.k8s.io/v1 (and v1beta1) Events, bare or wrapped in watch events
// ({"type":"ADDED","object":{...}}), heptio eventrouter lines
// ({"verb":"ADDED","event":{...}}) and kubernetes-event-exporter lines (a
// core/v1 Event plus clusterName and an involvedObject extended with owner
// references).
//
// A Decoder reads the fields of the event table and skips everything else
// (managedFields, labels, annotations) without decoding it.
package k8sjson

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// Shape is what a record turned out to be.
type Shape uint8

const (
	ShapeInvalid     Shape = iota
	ShapeEvent             // a bare Event (either API)
	ShapeWatch             // a watch event wrapping an Event
	ShapeEventRouter       // an eventrouter line
	ShapeExporter          // a kubernetes-event-exporter line
	ShapeAudit             // an audit.k8s.io Event: not decoded here
	ShapeSkip              // a valid record that holds no event (see Result.Skip)
)

func (s Shape) String() string {
	return [...]string{"invalid", "event", "watch", "eventrouter", "event-exporter", "audit", "skip"}[s]
}

// Result describes a decoded record.
type Result struct {
	Shape Shape
	Skip  string // why a ShapeSkip record holds no event
	// Warnings are problems with single fields; the event is still used
	// (with the field unset).
	Warnings []error
}

// FieldError is a problem with one field of a record.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Decoder decodes records; it is not safe for concurrent use. Reuse one per
// goroutine: it keeps its buffers between records.
type Decoder struct {
	s   jsonscan.Scanner
	res Result
}

// Decode decodes one record into row (which it resets). The row's byte
// slices stay valid until the next call. An error means the record is
// malformed or is not an event in a shape this package knows.
func (d *Decoder) Decode(rec []byte, row *load.EventRow) (Result, error) {
	row.Reset()
	d.res = Result{Warnings: d.res.Warnings[:0]}
	s := &d.s
	s.Reset(rec)
	if c := s.Peek(); c != '{' {
		if c == 0 {
			return d.res, errors.New("empty record")
		}
		return d.res, fmt.Errorf("record is not a JSON object (starts with %q)", rune(c))
	}
	shape, err := d.top(row)
	if shape == ShapeAudit && err == nil {
		d.res.Shape = shape // the audit decoder reads the record
		return d.res, nil
	}
	if err == nil && s.Err() == nil && !s.AtEnd() {
		err = errors.New("unexpected data after record")
	}
	if err == nil {
		err = s.Err()
	}
	if err != nil {
		d.res.Shape = ShapeInvalid
		return d.res, err
	}
	d.res.Shape = shape
	return d.res, nil
}

// top decodes the outermost object: an event or a wrapper.
func (d *Decoder) top(row *load.EventRow) (Shape, error) {
	s := &d.s
	var (
		ev          eventKeys
		typ         []byte // event type, or the watch event type
		verb        []byte // eventrouter
		wrapped     bool   // saw object or event
		wrapErr     error
		sawExporter bool
	)
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			break
		}
		switch string(key) {
		case "type":
			typ, _ = s.Str()
		case "object", "event":
			wrapped = true
			if s.Peek() != '{' {
				s.Skip()
				wrapErr = fmt.Errorf("%s: not an object", key)
				continue
			}
			wrapped = true
			var inner eventKeys
			if err := d.event(row, &inner); err != nil {
				wrapErr = fmt.Errorf("%s: %w", key, err)
			}
			if inner.exporter {
				sawExporter = true
			}
			ev.innerKind, ev.innerAPI, ev.innerEvent = inner.kind, inner.apiVersion, inner.isEvent
			ev.innerAudit = inner.audit
		case "verb":
			verb, _ = s.Str()
		case "old_event":
			s.Skip()
		case "auditID", "stage", "level", "requestURI", "objectRef", "user", "sourceIPs", "userAgent", "impersonatedUser":
			return ShapeAudit, nil // fields only audit events have
		case "protoPayload", "logName", "insertId", "receiveTimestamp", "operation":
			// A Cloud Audit Logs entry (LogEntry fields): the audit
			// decoder maps it, or skips it with the reason.
			return ShapeAudit, nil
		default:
			d.eventKey(key, row, &ev)
		}
		if s.Err() != nil {
			return ShapeInvalid, s.Err()
		}
	}
	if s.Err() != nil {
		return ShapeInvalid, s.Err()
	}
	if ev.audit {
		return ShapeAudit, nil
	}
	if string(typ) == "BOOKMARK" {
		return ShapeSkip, d.skip("watch BOOKMARK")
	}
	if wrapped {
		if wrapErr != nil {
			return ShapeInvalid, wrapErr
		}
		if ev.innerAudit {
			return ShapeSkip, d.skip("audit event inside a wrapper")
		}
		if !ev.innerEvent {
			if len(typ) > 0 && string(typ) == "ERROR" {
				return ShapeSkip, d.skip("watch ERROR status")
			}
			return ShapeSkip, d.skip("not an event: kind " + orUnknown(ev.innerKind))
		}
		if len(verb) > 0 {
			return ShapeEventRouter, nil
		}
		return ShapeWatch, nil
	}
	row.Type = typ
	if !ev.isEvent {
		if len(ev.kind) > 0 {
			return ShapeSkip, d.skip("not an event: kind " + string(ev.kind))
		}
		return ShapeInvalid, errors.New("not a Kubernetes event: no involvedObject, regarding or kind")
	}
	if ev.exporter || sawExporter {
		return ShapeExporter, nil
	}
	return ShapeEvent, nil
}

func (d *Decoder) skip(reason string) error {
	d.res.Skip = reason
	return nil
}

func orUnknown(b []byte) string {
	if len(b) == 0 {
		return "(none)"
	}
	return string(b)
}

// eventKeys tracks what an event object revealed about itself.
type eventKeys struct {
	kind, apiVersion []byte
	isEvent          bool // has involvedObject/regarding, or kind Event
	audit            bool
	exporter         bool // clusterName, or involvedObject labels/ownerReferences

	innerKind, innerAPI []byte
	innerEvent          bool
	innerAudit          bool
}

// event decodes a nested event object (inside a wrapper).
func (d *Decoder) event(row *load.EventRow, ev *eventKeys) error {
	s := &d.s
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			break
		}
		switch string(key) {
		case "type":
			row.Type, _ = s.Str()
		default:
			d.eventKey(key, row, ev)
		}
	}
	if ev.audit {
		ev.isEvent = false
	}
	return s.Err()
}

// eventKey decodes one key of an Event object (either API).
func (d *Decoder) eventKey(key []byte, row *load.EventRow, ev *eventKeys) {
	s := &d.s
	switch string(key) {
	case "kind":
		if s.Peek() != '"' && s.Peek() != 'n' {
			s.Skip()
			s.Fail(errors.New("kind is not a string"))
			return
		}
		ev.kind, _ = s.Str()
		if string(ev.kind) == "Event" {
			ev.isEvent = true
		}
	case "apiVersion":
		ev.apiVersion, _ = s.Str()
		switch string(ev.apiVersion) {
		case "events.k8s.io/v1", "events.k8s.io/v1beta1":
			row.API = load.APIEventsV1
		case "v1":
			if row.API == "" {
				row.API = load.APICoreV1
			}
		default:
			if len(ev.apiVersion) > 12 && string(ev.apiVersion[:12]) == "audit.k8s.io" {
				ev.audit = true
			}
		}
	case "metadata":
		d.metadata(row)
	case "involvedObject":
		ev.isEvent = true
		if row.API == "" {
			row.API = load.APICoreV1
		}
		if d.objectRef(&row.Object, &row.Owner, "involvedObject") {
			ev.exporter = true
		}
	case "regarding":
		ev.isEvent = true
		row.API = load.APIEventsV1
		d.objectRef(&row.Object, &row.Owner, "regarding")
	case "related":
		d.objectRef(&row.Related, nil, "related")
	case "reason":
		row.Reason, _ = s.Str()
	case "message", "note":
		row.Message, _ = s.Str()
	case "action":
		row.Action, _ = s.Str()
	case "reportingComponent", "reportingController":
		row.ReportingController, _ = s.Str()
	case "reportingInstance":
		row.ReportingInstance, _ = s.Str()
	case "source", "deprecatedSource":
		d.source(row)
	case "count":
		d.count(&row.Count, &row.HasCount, "count")
	case "deprecatedCount":
		d.count(&row.Count, &row.HasCount, "deprecatedCount")
	case "firstTimestamp":
		row.First = d.time("firstTimestamp")
	case "deprecatedFirstTimestamp":
		row.First = d.time("deprecatedFirstTimestamp")
	case "lastTimestamp":
		row.Last = d.time("lastTimestamp")
	case "deprecatedLastTimestamp":
		row.Last = d.time("deprecatedLastTimestamp")
	case "eventTime":
		row.EventTime = d.time("eventTime")
	case "series":
		d.series(row)
	case "clusterName":
		row.Cluster, _ = s.Str()
		ev.exporter = true
	case "auditID", "stage", "level":
		ev.audit = true
		s.Skip()
	default:
		s.Skip()
	}
}

func (d *Decoder) metadata(row *load.EventRow) {
	s := &d.s
	if s.Peek() == 'n' {
		s.Null()
		return
	}
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			return
		}
		switch string(key) {
		case "name":
			row.Name, _ = s.Str()
		case "namespace":
			row.Namespace, _ = s.Str()
		case "uid":
			row.UID, _ = s.Str()
		case "resourceVersion":
			row.ResourceVersion, _ = s.Str()
		case "creationTimestamp":
			row.Created = d.time("metadata.creationTimestamp")
		default:
			s.Skip()
		}
	}
}

// objectRef decodes an object reference. When owner is not nil it also
// reads kubernetes-event-exporter's ownerReferences, and reports whether the
// reference carried exporter-only fields.
func (d *Decoder) objectRef(ref, owner *load.ObjectRef, field string) (exporter bool) {
	s := &d.s
	if s.Peek() == 'n' {
		s.Null()
		return false
	}
	if s.Peek() != '{' {
		d.warn(field, errors.New("not an object"))
		s.Skip()
		return false
	}
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			return exporter
		}
		switch string(key) {
		case "kind":
			ref.Kind, _ = s.Str()
		case "apiVersion":
			ref.APIVersion, _ = s.Str()
		case "namespace":
			ref.Namespace, _ = s.Str()
		case "name":
			ref.Name, _ = s.Str()
		case "uid":
			ref.UID, _ = s.Str()
		case "fieldPath":
			ref.FieldPath, _ = s.Str()
		case "ownerReferences":
			if owner == nil {
				s.Skip()
				continue
			}
			exporter = true
			d.owners(owner)
		case "labels", "annotations", "deleted":
			exporter = owner != nil
			s.Skip()
		default:
			s.Skip()
		}
	}
}

// owners picks the controller owner reference (or the first one).
func (d *Decoder) owners(owner *load.ObjectRef) {
	s := &d.s
	if s.Peek() != '[' {
		s.Skip()
		return
	}
	s.Array()
	found := false
	for first := true; s.Elem(first); first = false {
		if s.Peek() != '{' {
			s.Skip()
			continue
		}
		var ref load.ObjectRef
		controller := false
		s.Object()
		for f := true; ; f = false {
			key, ok := s.Key(f)
			if !ok {
				break
			}
			switch string(key) {
			case "kind":
				ref.Kind, _ = s.Str()
			case "apiVersion":
				ref.APIVersion, _ = s.Str()
			case "name":
				ref.Name, _ = s.Str()
			case "uid":
				ref.UID, _ = s.Str()
			case "controller":
				controller, _ = s.Bool()
			default:
				s.Skip()
			}
		}
		if !found || controller {
			*owner = ref
			found = controller
		}
	}
}

func (d *Decoder) source(row *load.EventRow) {
	s := &d.s
	if s.Peek() == 'n' {
		s.Null()
		return
	}
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			return
		}
		switch string(key) {
		case "component":
			row.SourceComponent, _ = s.Str()
		case "host":
			row.SourceHost, _ = s.Str()
		default:
			s.Skip()
		}
	}
}

func (d *Decoder) series(row *load.EventRow) {
	s := &d.s
	if s.Peek() == 'n' {
		s.Null()
		return
	}
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			return
		}
		switch string(key) {
		case "count":
			d.count(&row.SeriesCount, &row.HasSeriesCount, "series.count")
		case "lastObservedTime":
			row.SeriesLast = d.time("series.lastObservedTime")
		default:
			s.Skip()
		}
	}
}

// count reads a count. One that is not a whole number in 0..2^31-1 (1.5,
// -1, 2^63, 1e308, "many", true) is a warning and leaves the field unset:
// the rest of the event is good.
func (d *Decoder) count(dst *int32, has *bool, field string) {
	v, ok, err := d.s.IntIn(0, math.MaxInt32)
	if err != nil {
		d.warn(field, err)
		return
	}
	if ok {
		*dst, *has = int32(v), true
	}
}

// time reads a timestamp; invalid ones are warnings and leave the field
// unset. The zero time (0001-01-01T00:00:00Z) and times before 1970 mean
// unset too. A time that int64 nanoseconds cannot hold (before 1677, after
// 2262: it would wrap to another time) rejects the record.
func (d *Decoder) time(field string) int64 {
	s := &d.s
	c := s.Peek()
	if c == 'n' {
		s.Null()
		return 0
	}
	if c != '"' {
		s.Skip()
		if s.Err() == nil {
			d.warn(field, errors.New("not a string"))
		}
		return 0
	}
	b, _ := s.Str()
	ns, ok, err := jsonscan.ParseTime(b)
	if errors.Is(err, jsonscan.ErrTimeRange) && !zeroTime(b) {
		s.Fail(&FieldError{Field: field, Err: err})
		return 0
	}
	if err != nil {
		d.warn(field, err)
		return 0
	}
	if !ok || ns <= 0 {
		return 0
	}
	return ns
}

// zeroTime reports whether b is Go's zero time.Time as metav1.Time
// marshals it when not omitted, 0001-01-01T00:00:00Z: unset, not out of
// range.
func zeroTime(b []byte) bool {
	return bytes.HasPrefix(b, []byte("0001-01-01T00:00:00"))
}

func (d *Decoder) warn(field string, err error) {
	d.res.Warnings = append(d.res.Warnings, &FieldError{Field: field, Err: err})
}

// DecodePatch reads the event fields present in a patch body, as the event
// recorders send when an event repeats (client-go tools/record/events_cache.go
// patches count, lastTimestamp and message; tools/events patches series).
// Fields not in the patch are left as they are in row.
func (d *Decoder) DecodePatch(rec []byte, row *load.EventRow) error {
	s := &d.s
	s.Reset(rec)
	if s.Peek() != '{' {
		return errors.New("event patch is not a JSON object")
	}
	var ev eventKeys
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			break
		}
		if string(key) == "type" {
			row.Type, _ = s.Str()
			continue
		}
		d.eventKey(key, row, &ev)
	}
	return s.Err()
}
