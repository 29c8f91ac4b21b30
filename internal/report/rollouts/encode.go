package rollouts

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/evanalyze/evanalyze/internal/correlate"
)

// Encoder appends rollouts as JSON, byte for byte what encoding/json
// writes for a correlate.Rollout with SetEscapeHTML(false) (and
// SetIndent(Prefix, Indent) when either is set): the same field order and
// omitempty rules, null for nil pointers, slices and maps, sorted map
// keys, RFC 3339 times with nanoseconds, ES6 number formatting and string
// escaping (invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped). The
// tests check this on every recorded rollout and by fuzzing.
//
// An Encoder reuses its scratch space between calls; it is not safe for
// concurrent use. The zero Encoder writes compact JSON.
type Encoder struct {
	// Prefix and Indent are those of json.MarshalIndent: each line after
	// the first starts with Prefix and one Indent per level.
	Prefix, Indent string

	b     []byte
	depth int
	err   error
	keys  []string
}

// Errors of values JSON cannot represent, as encoding/json refuses them.
var (
	errTime  = errors.New("json: time outside of RFC 3339 (year outside [0,9999] or zone hour outside [0,23])")
	errFloat = errors.New("json: unsupported value: NaN or infinite duration")
)

// AppendRollout appends r to buf and returns the extended buffer:
// buf = enc.AppendRollout(buf[:0], r) reuses buf. It fails only for values
// encoding/json refuses too (NaN or infinite durations, times outside
// RFC 3339); the buffer is then returned as it was.
func (e *Encoder) AppendRollout(buf []byte, r *correlate.Rollout) ([]byte, error) {
	n0 := len(buf)
	e.b, e.depth, e.err = buf, 0, nil
	e.rollout(r)
	buf, err := e.b, e.err
	e.b = nil
	if err != nil {
		return buf[:n0], err
	}
	return buf, nil
}

func (e *Encoder) pretty() bool { return e.Prefix != "" || e.Indent != "" }

// newline starts a line at the current depth (nothing in compact JSON).
func (e *Encoder) newline() {
	if !e.pretty() {
		return
	}
	e.b = append(e.b, '\n')
	e.b = append(e.b, e.Prefix...)
	for range e.depth {
		e.b = append(e.b, e.Indent...)
	}
}

// open starts an object or array whose first member follows.
func (e *Encoder) open(c byte) {
	e.b = append(e.b, c)
	e.depth++
	e.newline()
}

func (e *Encoder) close(c byte) {
	e.depth--
	e.newline()
	e.b = append(e.b, c)
}

// next separates members.
func (e *Encoder) next() {
	e.b = append(e.b, ',')
	e.newline()
}

// key writes a quoted key (literal, needing no escapes) and its colon.
func (e *Encoder) key(quoted string) {
	e.b = append(e.b, quoted...)
	e.b = append(e.b, ':')
	if e.pretty() {
		e.b = append(e.b, ' ')
	}
}

// field is a member after the first.
func (e *Encoder) field(quoted string) {
	e.next()
	e.key(quoted)
}

func (e *Encoder) rollout(r *correlate.Rollout) {
	e.open('{')
	e.key(`"cluster"`)
	e.string(r.Cluster)
	e.field(`"namespace"`)
	e.string(r.Namespace)
	e.field(`"kind"`)
	e.string(r.Kind)
	e.field(`"name"`)
	e.string(r.Name)
	if r.UID != "" {
		e.field(`"uid"`)
		e.string(r.UID)
	}
	if r.Owner != "" {
		e.field(`"owner"`)
		e.string(r.Owner)
	}
	if r.Revision != "" {
		e.field(`"revision"`)
		e.string(r.Revision)
	}
	e.field(`"seq"`)
	e.int(r.Seq)
	if r.NewReplicaSet != "" {
		e.field(`"new_replicaset"`)
		e.string(r.NewReplicaSet)
	}
	e.field(`"old_replicasets"`)
	e.strings(r.OldReplicaSets)
	e.field(`"rollback"`)
	e.bool(r.Rollback)
	e.field(`"partial"`)
	e.bool(r.Partial)
	if r.PartialReason != "" {
		e.field(`"partial_reason"`)
		e.string(r.PartialReason)
	}
	e.field(`"start"`)
	e.time(r.Start)
	e.field(`"end"`)
	e.timePtr(r.End)
	e.field(`"duration_seconds"`)
	e.floatPtr(r.DurationSeconds)
	e.field(`"outcome"`)
	e.string(r.Outcome)
	if r.FailureReason != "" {
		e.field(`"failure_reason"`)
		e.string(r.FailureReason)
	}
	e.field(`"trigger"`)
	if t := r.Trigger; t == nil {
		e.null()
	} else {
		e.open('{')
		e.key(`"user"`)
		e.string(t.User)
		if t.UserAgent != "" {
			e.field(`"user_agent"`)
			e.string(t.UserAgent)
		}
		e.field(`"at"`)
		e.time(t.At)
		if t.AuditID != "" {
			e.field(`"audit_id"`)
			e.string(t.AuditID)
		}
		if t.Source != "" {
			e.field(`"source"`)
			e.string(t.Source)
		}
		e.close('}')
	}
	e.field(`"changes"`)
	e.strings(r.Changes)
	e.field(`"replicas"`)
	e.int(r.Replicas)
	e.field(`"pods"`)
	switch {
	case r.Pods == nil:
		e.null()
	case len(r.Pods) == 0:
		e.b = append(e.b, "[]"...)
	default:
		e.open('[')
		for i := range r.Pods {
			if i > 0 {
				e.next()
			}
			e.pod(&r.Pods[i])
		}
		e.close(']')
	}
	e.field(`"phases"`)
	e.open('{')
	e.key(`"scheduling_wait_seconds"`)
	e.floatPtr(r.Phases.SchedulingWait)
	e.field(`"image_pull_seconds"`)
	e.floatPtr(r.Phases.ImagePull)
	e.field(`"container_start_seconds"`)
	e.floatPtr(r.Phases.ContainerStart)
	e.field(`"readiness_seconds"`)
	e.floatPtr(r.Phases.Readiness)
	e.close('}')
	e.field(`"critical_path"`)
	e.criticalPath(r.CriticalPath)
	e.field(`"warnings"`)
	e.counts(r.Warnings)
	e.field(`"steps"`)
	switch {
	case r.Steps == nil:
		e.null()
	case len(r.Steps) == 0:
		e.b = append(e.b, "[]"...)
	default:
		e.open('[')
		for i := range r.Steps {
			if i > 0 {
				e.next()
			}
			s := &r.Steps[i]
			e.open('{')
			e.key(`"at"`)
			e.time(s.At)
			e.field(`"replicaset"`)
			e.string(s.ReplicaSet)
			e.field(`"from"`)
			e.int(s.From)
			e.field(`"to"`)
			e.int(s.To)
			if s.Source != "" {
				e.field(`"source"`)
				e.string(s.Source)
			}
			e.close('}')
		}
		e.close(']')
	}
	if len(r.Sources) > 0 {
		e.field(`"sources"`)
		e.strings(r.Sources)
	}
	e.close('}')
}

func (e *Encoder) criticalPath(c *correlate.CriticalPath) {
	if c == nil {
		e.null()
		return
	}
	e.open('{')
	e.key(`"seconds"`)
	e.float(c.Seconds)
	e.field(`"phases"`)
	e.open('{')
	ph := &c.Phases
	for i, kv := range [...]struct {
		key string
		v   float64
	}{{`"controller_seconds"`, ph.Controller}, {`"create_blocked_seconds"`, ph.CreateBlocked},
		{`"scheduling_wait_seconds"`, ph.SchedulingWait}, {`"image_pull_seconds"`, ph.ImagePull},
		{`"container_start_seconds"`, ph.ContainerStart}, {`"readiness_seconds"`, ph.Readiness},
		{`"running_seconds"`, ph.Running}} {
		if i == 0 {
			e.key(kv.key)
		} else {
			e.field(kv.key)
		}
		e.float(kv.v)
	}
	e.close('}')
	e.field(`"longest"`)
	e.string(c.Longest)
	e.field(`"steps"`)
	switch {
	case c.Steps == nil:
		e.null()
	case len(c.Steps) == 0:
		e.b = append(e.b, "[]"...)
	default:
		e.open('[')
		for i := range c.Steps {
			if i > 0 {
				e.next()
			}
			s := &c.Steps[i]
			e.open('{')
			e.key(`"phase"`)
			e.string(s.Phase)
			e.field(`"from"`)
			e.time(s.From)
			e.field(`"to"`)
			e.time(s.To)
			e.field(`"seconds"`)
			e.float(s.Seconds)
			if s.Pod != "" {
				e.field(`"pod"`)
				e.string(s.Pod)
			}
			e.field(`"until"`)
			e.string(s.Until)
			if s.Detail != "" {
				e.field(`"detail"`)
				e.string(s.Detail)
			}
			if s.Source != "" {
				e.field(`"source"`)
				e.string(s.Source)
			}
			e.close('}')
		}
		e.close(']')
	}
	e.close('}')
}

func (e *Encoder) pod(p *correlate.Pod) {
	e.open('{')
	e.key(`"name"`)
	e.string(p.Name)
	if p.UID != "" {
		e.field(`"uid"`)
		e.string(p.UID)
	}
	if p.ReplicaSet != "" {
		e.field(`"replicaset"`)
		e.string(p.ReplicaSet)
	}
	if p.Node != "" {
		e.field(`"node"`)
		e.string(p.Node)
	}
	e.field(`"created"`)
	e.timePtr(p.Created)
	e.field(`"scheduled"`)
	e.timePtr(p.Scheduled)
	e.field(`"pulling"`)
	e.timePtr(p.Pulling)
	e.field(`"pulled"`)
	e.timePtr(p.Pulled)
	e.field(`"started"`)
	e.timePtr(p.Started)
	e.field(`"ready"`)
	e.timePtr(p.Ready)
	e.field(`"deleted"`)
	e.timePtr(p.Deleted)
	e.field(`"restarts"`)
	e.int(p.Restarts)
	e.field(`"warnings"`)
	e.counts(p.Warnings)
	e.close('}')
}

func (e *Encoder) null() { e.b = append(e.b, "null"...) }

func (e *Encoder) bool(v bool) { e.b = strconv.AppendBool(e.b, v) }

func (e *Encoder) int(v int) { e.b = strconv.AppendInt(e.b, int64(v), 10) }

func (e *Encoder) strings(ss []string) {
	switch {
	case ss == nil:
		e.null()
	case len(ss) == 0:
		e.b = append(e.b, "[]"...)
	default:
		e.open('[')
		for i, s := range ss {
			if i > 0 {
				e.next()
			}
			e.string(s)
		}
		e.close(']')
	}
}

// counts writes a map with its keys sorted, as encoding/json does.
func (e *Encoder) counts(m map[string]int) {
	switch {
	case m == nil:
		e.null()
		return
	case len(m) == 0:
		e.b = append(e.b, "{}"...)
		return
	}
	keys := e.keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.open('{')
	for i, k := range keys {
		if i > 0 {
			e.next()
		}
		e.string(k)
		e.b = append(e.b, ':')
		if e.pretty() {
			e.b = append(e.b, ' ')
		}
		e.int(m[k])
	}
	e.close('}')
	clear(keys) // the map's strings are not kept alive by the scratch space
	e.keys = keys[:0]
}

func (e *Encoder) timePtr(t *time.Time) {
	if t == nil {
		e.null()
		return
	}
	e.time(*t)
}

// time writes t as time.Time.MarshalJSON does, with its checks that the
// text is RFC 3339.
func (e *Encoder) time(t time.Time) {
	e.b = append(e.b, '"')
	n0 := len(e.b)
	e.b = t.AppendFormat(e.b, time.RFC3339Nano)
	b := e.b
	switch {
	case b[n0+len("9999")] != '-': // the year is 4 digits wide
		e.fail(errTime)
	case b[len(b)-1] != 'Z':
		c := b[len(b)-len("Z07:00")]
		if ('0' <= c && c <= '9') || 10*(b[len(b)-5]-'0')+(b[len(b)-4]-'0') >= 24 {
			e.fail(errTime)
		}
	}
	e.b = append(e.b, '"')
}

func (e *Encoder) floatPtr(f *float64) {
	if f == nil {
		e.null()
		return
	}
	e.float(*f)
}

// float formats like encoding/json's floatEncoder (ES6 number to string):
// 'f' unless the exponent is below -6 or at least 21, then 'e' with the
// exponent not padded.
func (e *Encoder) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		e.fail(errFloat)
		e.b = append(e.b, '0')
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	e.b = strconv.AppendFloat(e.b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9
		n := len(e.b)
		if n >= 4 && e.b[n-4] == 'e' && e.b[n-3] == '-' && e.b[n-2] == '0' {
			e.b[n-2] = e.b[n-1]
			e.b = e.b[:n-1]
		}
	}
}

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

const hex = "0123456789abcdef"

// string writes s quoted, escaped as encoding/json does without HTML
// escaping: '"', '\\' and control characters below 0x20 escaped (short
// forms for \b \f \n \r \t), invalid UTF-8 bytes as \ufffd, U+2028 and
// U+2029 as \u2028 and \u2029; everything else as it is.
func (e *Encoder) string(s string) {
	b := append(e.b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	e.b = append(b, '"')
}
