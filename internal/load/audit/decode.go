// Package audit decodes Kubernetes API-server audit events
// (audit.k8s.io/v1 and v1beta1, any level) into change rows: who wrote
// what, when, with what result, and, when the level carries objects, the
// workload fields rollout correlation needs. Event writes (create and patch
// of core and events.k8s.io events) are handed back as raw request objects
// for the event decoder.
package audit

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/evanalyze/evanalyze/internal/load"
	"github.com/evanalyze/evanalyze/internal/load/jsonscan"
)

// Kind says what an audit record is.
type Kind uint8

const (
	KindWrite Kind = iota // a write request: a change row
	KindRead              // get, list, watch...: counted, no row
	KindSkip              // a valid record that is no Kubernetes API request (Result.Skip says why)
)

// Result describes a decoded audit record.
type Result struct {
	Kind Kind
	// EventObject is the request object of an event write (create, update
	// or patch of events in the core or events.k8s.io group), aliasing the
	// record. EventPatch says it is a patch body, not an Event.
	EventObject []byte
	EventPatch  bool
	Skip        string
	// CloudAuditLogs says the record was a Google Cloud Audit Logs entry
	// (GKE), mapped onto the audit.k8s.io fields.
	CloudAuditLogs bool
	// Warnings are problems with single fields (a number of replicas that
	// is not a whole number in range); the record is used without them.
	// Valid until the next Decode.
	Warnings []error
}

// Stage ranks for merging the stages of one request: the completed stage
// wins; RequestReceived and ResponseStarted only fill gaps.
func StageRank(stage string) int {
	switch stage {
	case "ResponseComplete", "Panic":
		return 3
	case "ResponseStarted":
		return 2
	case "RequestReceived":
		return 1
	}
	return 0
}

// Decoder decodes audit records; reuse one per goroutine.
type Decoder struct {
	s        jsonscan.Scanner
	warnings []error // of the record in hand
}

var writeVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// Decode decodes one audit record into row (reset first). Strings in row
// are copies; Result.EventObject aliases rec.
func (d *Decoder) Decode(rec []byte, row *load.ChangeRow) (Result, error) {
	d.warnings = d.warnings[:0]
	res, err := d.decode(rec, row)
	res.Warnings = d.warnings
	return res, err
}

func (d *Decoder) decode(rec []byte, row *load.ChangeRow) (Result, error) {
	*row = load.ChangeRow{}
	var res Result
	s := &d.s
	s.Reset(rec)
	if s.Peek() != '{' {
		return res, errors.New("audit record is not a JSON object")
	}
	var reqObj, respObj []byte
	var requestURI string
	var gke *gkeEntry
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			break
		}
		switch string(key) {
		case "protoPayload", "timestamp", "receiveTimestamp", "operation", "resource", "insertId":
			if gke == nil {
				gke = &gkeEntry{}
			}
			d.gkeKey(string(key), gke, row, &reqObj, &respObj)
			continue
		case "level":
			row.Level = d.str()
		case "auditID":
			row.AuditID = d.str()
		case "stage":
			row.Stage = d.str()
		case "requestURI":
			requestURI = d.str()
		case "verb":
			row.Verb = d.str()
		case "user":
			row.User, row.Groups = d.userInfo()
		case "impersonatedUser":
			row.ImpersonatedUser, _ = d.userInfo()
		case "sourceIPs":
			row.SourceIP = d.firstString()
		case "userAgent":
			row.UserAgent = d.str()
		case "objectRef":
			d.objectRef(row)
		case "responseStatus":
			d.status(row)
		case "requestObject":
			reqObj = s.Raw()
		case "responseObject":
			respObj = s.Raw()
		case "requestReceivedTimestamp":
			if t := d.time("requestReceivedTimestamp"); t != 0 {
				row.RequestTime = t
			}
		case "stageTimestamp":
			if t := d.time("stageTimestamp"); t != 0 {
				row.CompleteTime = t
			}
		default:
			s.Skip()
		}
	}
	if err := s.Err(); err != nil {
		return res, err
	}
	if !s.AtEnd() {
		return res, errors.New("unexpected data after record")
	}
	if gke != nil {
		res.CloudAuditLogs = gke.method != "" || row.Verb == ""
		if err := gke.finish(row); err != nil {
			return res, err
		}
		if gke.skip != "" {
			res.Kind, res.Skip = KindSkip, gke.skip
			return res, nil
		}
	}
	if row.AuditID == "" && row.Verb == "" && requestURI == "" && row.Stage == "" && row.User == "" && row.SourceIP == "" && row.Resource == "" {
		return res, errors.New("not an audit event: no auditID, verb, requestURI, stage, user, sourceIPs or objectRef")
	}
	if !writeVerbs[row.Verb] {
		res.Kind = KindRead
		return res, nil
	}
	res.Kind = KindWrite
	if row.Resource == "events" && (row.APIGroup == "" || row.APIGroup == "events.k8s.io") && row.Subresource == "" &&
		(row.Verb == "create" || row.Verb == "update" || row.Verb == "patch") && len(reqObj) > 0 && reqObj[0] == '{' {
		res.EventObject = reqObj
		res.EventPatch = row.Verb == "patch"
	}
	// The object after the write: the response, unless it is a Status
	// (deletes, failures); else what the client sent.
	obj := respObj
	if len(obj) == 0 || obj[0] != '{' || isStatus(obj) {
		obj = reqObj
	}
	if len(obj) > 0 && obj[0] == '{' && workload(row.Resource) {
		if err := d.object(obj, row, len(respObj) > 0 && &obj[0] == &respObj[0], &d.warnings); err != nil {
			return res, fmt.Errorf("object: %w", err)
		}
	}
	return res, nil
}

// workload reports whether a resource's objects are read for correlation.
func workload(resource string) bool {
	switch resource {
	case "deployments", "replicasets", "statefulsets", "daemonsets", "controllerrevisions", "jobs", "cronjobs", "pods", "nodes":
		return true
	}
	return false
}

// templateHash identifies a pod template whatever the layout of its JSON
// (key order, white space), so that a rollback to an earlier template is
// recognised in logs that different API servers or exporters wrote.
func templateHash(raw []byte) string {
	h, err := jsonscan.Hash(raw)
	if err != nil {
		return ""
	}
	return strconv.FormatUint(h, 16)
}

func isStatus(obj []byte) bool {
	var s jsonscan.Scanner
	s.Reset(obj)
	s.Object()
	for first := true; ; first = false {
		key, ok := s.Key(first)
		if !ok {
			return false
		}
		if string(key) == "kind" {
			v, _ := s.Str()
			return string(v) == "Status"
		}
		s.Skip()
	}
}

func (d *Decoder) str() string {
	v, _ := d.s.Str()
	return string(v)
}

// time reads a timestamp; unreadable ones are unset. A time that int64
// nanoseconds cannot hold (before 1677, after 2262: it would wrap to
// another time) rejects the record.
func (d *Decoder) time(field string) int64 {
	s := &d.s
	if s.Peek() != '"' {
		s.Skip()
		return 0
	}
	v, _ := s.Str()
	return parseTime(s, field, v)
}

func parseTime(s *jsonscan.Scanner, field string, v []byte) int64 {
	ns, ok, err := jsonscan.ParseTime(v)
	if errors.Is(err, jsonscan.ErrTimeRange) && !bytes.HasPrefix(v, []byte("0001-01-01T00:00:00")) {
		s.Fail(fmt.Errorf("%s: %w", field, err))
		return 0
	}
	if err != nil || !ok || ns <= 0 {
		return 0
	}
	return ns
}

func (d *Decoder) firstString() string {
	s := &d.s
	if s.Peek() != '[' {
		s.Skip()
		return ""
	}
	out := ""
	s.Array()
	for first := true; s.Elem(first); first = false {
		if s.Peek() == '"' && out == "" {
			out = d.str()
		} else {
			s.Skip()
		}
	}
	return out
}

func (d *Decoder) strings() []string {
	s := &d.s
	if s.Peek() != '[' {
		s.Skip()
		return nil
	}
	out := []string{}
	s.Array()
	for first := true; s.Elem(first); first = false {
		if s.Peek() == '"' {
			out = append(out, d.str())
		} else {
			s.Skip()
		}
	}
	return out
}

func (d *Decoder) userInfo() (name string, groups []string) {
	d.s.Fields(func(key []byte) {
		switch string(key) {
		case "username":
			name = d.str()
		case "groups":
			groups = d.strings()
		default:
			d.s.Skip()
		}
	})
	return name, groups
}

func (d *Decoder) objectRef(row *load.ChangeRow) {
	d.s.Fields(func(key []byte) {
		switch string(key) {
		case "resource":
			row.Resource = d.str()
		case "namespace":
			row.Namespace = d.str()
		case "name":
			row.Name = d.str()
		case "uid":
			row.ObjectUID = d.str()
		case "apiGroup":
			row.APIGroup = d.str()
		case "apiVersion":
			row.APIVersion = d.str()
		case "subresource":
			row.Subresource = d.str()
		default:
			d.s.Skip()
		}
	})
	// audit.k8s.io/v1alpha1 has no apiGroup: its apiVersion is GROUP/VERSION.
	if g, v, ok := strings.Cut(row.APIVersion, "/"); ok && row.APIGroup == "" {
		row.APIGroup, row.APIVersion = g, v
	}
}

func (d *Decoder) status(row *load.ChangeRow) {
	d.s.Fields(func(key []byte) {
		switch string(key) {
		case "code":
			if v, ok, err := d.s.IntIn(0, math.MaxInt32); err != nil {
				d.warnings = append(d.warnings, fmt.Errorf("responseStatus.code: %w", err))
			} else if ok {
				row.Code = int32(v)
			}
		case "reason":
			row.StatusReason = d.str()
		case "message":
			row.StatusMessage = d.str()
		default:
			d.s.Skip()
		}
	})
}

// object reads the workload fields of obj. full says obj is the API
// server's response (complete and defaulted): only then is the template
// hashed, as a request body may omit defaulted fields.
func (d *Decoder) object(obj []byte, row *load.ChangeRow, full bool, warn *[]error) error {
	var s jsonscan.Scanner // a separate scanner: obj aliases the record
	s.Reset(obj)
	o := objectReader{s: &s, row: row, full: full, warn: warn}
	o.top()
	return s.Err()
}

type objectReader struct {
	s    *jsonscan.Scanner
	row  *load.ChangeRow
	full bool
	warn *[]error // of the Result
}

func (o *objectReader) str() string {
	v, _ := o.s.Str()
	return string(v)
}

// i64 and i32 read a number; any other value (a CronJob's status.active
// is a list where a Job's is a count) is skipped as unknown. A number that
// is not a whole number in the field's range (1.5, 2^63) is a warning
// naming field, and the field is unset: the rest of the record is good.
func (o *objectReader) i64(field string) *int64 {
	v, ok := o.num(field, math.MinInt64, math.MaxInt64)
	if !ok {
		return nil
	}
	return &v
}

func (o *objectReader) i32(field string) *int32 {
	v, ok := o.num(field, math.MinInt32, math.MaxInt32)
	if !ok {
		return nil
	}
	n := int32(v)
	return &n
}

func (o *objectReader) num(field string, lo, hi int64) (int64, bool) {
	if c := o.s.Peek(); c != '-' && (c < '0' || c > '9') {
		o.s.Skip()
		return 0, false
	}
	v, ok, err := o.s.IntIn(lo, hi)
	if err != nil && o.warn != nil {
		*o.warn = append(*o.warn, fmt.Errorf("object: %s: %w", field, err))
	}
	return v, ok && err == nil
}

func (o *objectReader) top() {
	row := o.row
	o.s.Fields(func(key []byte) {
		switch string(key) {
		case "kind":
			row.Kind = o.str()
		case "metadata":
			o.metadata()
		case "spec":
			o.spec()
		case "status":
			o.status()
		case "target": // pods/binding
			o.s.Fields(func(k []byte) {
				if string(k) == "name" {
					row.Node = o.str()
				} else {
					o.s.Skip()
				}
			})
		default:
			o.s.Skip()
		}
	})
}

func (o *objectReader) metadata() {
	row := o.row
	o.s.Fields(func(key []byte) {
		switch string(key) {
		case "name":
			// objectRef has no name for a create with generateName (the
			// pods of a ReplicaSet): the object does.
			if name := o.str(); row.Name == "" {
				row.Name = name
			}
		case "namespace":
			if ns := o.str(); row.Namespace == "" {
				row.Namespace = ns
			}
		case "uid":
			if uid := o.str(); row.ObjectUID == "" {
				row.ObjectUID = uid
			}
		case "generation":
			row.Generation = o.i64("metadata.generation")
		case "labels":
			o.s.Fields(func(k []byte) {
				switch string(k) {
				case "pod-template-hash":
					row.PodTemplateHash = o.str()
				case "controller-revision-hash":
					row.ControllerRevHash = o.str()
				default:
					o.s.Skip()
				}
			})
		case "annotations":
			o.s.Fields(func(k []byte) {
				switch string(k) {
				case "deployment.kubernetes.io/revision":
					row.Revision = o.str()
				case "deployment.kubernetes.io/revision-history":
					row.RevisionHistory = o.str()
				default:
					o.s.Skip()
				}
			})
		case "ownerReferences":
			found := false
			o.s.Elems(func() {
				var kind, name, uid string
				controller := false
				o.s.Fields(func(k []byte) {
					switch string(k) {
					case "kind":
						kind = o.str()
					case "name":
						name = o.str()
					case "uid":
						uid = o.str()
					case "controller":
						controller, _ = o.s.Bool()
					default:
						o.s.Skip()
					}
				})
				if !found || controller {
					row.OwnerKind, row.OwnerName, row.OwnerUID = kind, name, uid
					found = controller
				}
			})
		default:
			o.s.Skip()
		}
	})
}

func (o *objectReader) spec() {
	row := o.row
	o.s.Fields(func(key []byte) {
		switch string(key) {
		case "replicas", "parallelism":
			if row.Replicas == nil || string(key) == "replicas" {
				row.Replicas = o.i32("spec." + string(key))
			} else {
				o.s.Skip()
			}
		case "paused", "suspend":
			if v, ok := o.s.Bool(); ok {
				row.Paused = &v
			}
		case "strategy", "updateStrategy":
			o.s.Fields(func(k []byte) {
				switch string(k) {
				case "type":
					row.Strategy = o.str()
				case "rollingUpdate":
					o.s.Fields(func(k []byte) {
						if string(k) == "partition" {
							row.Partition = o.i32("spec.updateStrategy.rollingUpdate.partition")
						} else {
							o.s.Skip()
						}
					})
				default:
					o.s.Skip()
				}
			})
		case "template":
			raw := o.s.Raw()
			if o.full && len(raw) > 0 {
				row.TemplateHash = templateHash(raw)
			}
			o.template(raw)
		case "jobTemplate": // CronJob: spec.jobTemplate.spec.template
			raw := o.s.Raw()
			var s jsonscan.Scanner
			s.Reset(raw)
			inner := objectReader{s: &s, row: row, full: o.full, warn: o.warn}
			inner.s.Fields(func(k []byte) {
				if string(k) == "spec" {
					inner.s.Fields(func(k2 []byte) {
						if string(k2) == "template" {
							r := inner.s.Raw()
							if inner.full {
								row.TemplateHash = templateHash(r)
							}
							inner.template(r)
						} else {
							inner.s.Skip()
						}
					})
				} else {
					inner.s.Skip()
				}
			})
		case "containers":
			o.containers(false)
		case "initContainers":
			o.containers(true)
		case "nodeName":
			row.Node = o.str()
		default:
			o.s.Skip()
		}
	})
}

// template reads a pod template's containers.
func (o *objectReader) template(raw []byte) {
	if len(raw) == 0 || raw[0] != '{' {
		return
	}
	var s jsonscan.Scanner
	s.Reset(raw)
	t := objectReader{s: &s, row: o.row, full: o.full, warn: o.warn}
	var parts []string
	t.s.Fields(func(key []byte) {
		switch string(key) {
		case "metadata":
			if !o.full {
				t.s.Skip()
				return
			}
			t.s.Fields(func(k []byte) {
				if m := string(k); m == "annotations" || m == "labels" {
					t.s.Fields(func(name []byte) {
						v := ""
						if t.s.Peek() == '"' {
							v = t.str()
						} else {
							t.s.Skip()
						}
						parts = append(parts, "metadata."+m+"."+string(name)+"="+partValue(v))
					})
				} else {
					t.s.Skip()
				}
			})
		case "spec":
			t.s.Fields(func(k []byte) {
				switch string(k) {
				case "containers", "initContainers":
					field := string(k)
					if !o.full {
						t.containers(field == "initContainers")
						return
					}
					// Each container by name, so that a change no
					// other rule names still says which one.
					elems := t.s.Raw()
					var es jsonscan.Scanner
					es.Reset(elems)
					es.Elems(func() {
						el := es.Raw()
						var cs jsonscan.Scanner
						cs.Reset(el)
						name := ""
						cs.Fields(func(ck []byte) {
							if string(ck) == "name" {
								v, _ := cs.Str()
								name = string(v)
							} else {
								cs.Skip()
							}
						})
						parts = append(parts, "spec."+field+"."+name+"="+templateHash(el))
					})
					es.Reset(elems)
					ct := objectReader{s: &es, row: o.row, full: o.full, warn: o.warn}
					ct.containers(field == "initContainers")
				default:
					if o.full {
						parts = append(parts, "spec."+string(k)+"="+templateHash(t.s.Raw()))
					} else {
						t.s.Skip()
					}
				}
			})
		default:
			t.s.Skip()
		}
	})
	if o.full && parts != nil {
		slices.Sort(parts)
		o.row.TemplateParts = strings.Join(parts, "\n")
	}
}

// partValue keeps a template label or annotation value short enough for a
// change description: values past 64 bytes are cut (at a rune boundary).
func partValue(v string) string {
	v = strings.ReplaceAll(v, "\n", " ")
	if len(v) <= 64 {
		return v
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…"
}

func (o *objectReader) containers(init bool) {
	row := o.row
	row.HasContainers = true
	o.s.Elems(func() {
		c := load.Container{Init: init}
		o.s.Fields(func(key []byte) {
			switch string(key) {
			case "name":
				c.Name = o.str()
			case "image":
				c.Image = o.str()
			case "env":
				var names []string
				o.s.Elems(func() {
					o.s.Fields(func(k []byte) {
						if string(k) == "name" {
							names = append(names, o.str())
						} else {
							o.s.Skip()
						}
					})
				})
				slices.Sort(names)
				c.Env = strings.Join(names, ",")
			case "resources":
				c.Resources = o.resources()
			default:
				o.s.Skip()
			}
		})
		row.Containers = append(row.Containers, c)
	})
}

// resources renders requests and limits as "requests cpu=100m
// memory=64Mi; limits cpu=1", keys sorted.
func (o *objectReader) resources() string {
	var parts []string
	o.s.Fields(func(key []byte) {
		section := string(key)
		if section != "requests" && section != "limits" {
			o.s.Skip()
			return
		}
		var kv []string
		o.s.Fields(func(k []byte) {
			name := string(k)
			var v string
			if o.s.Peek() == '"' {
				v = o.str()
			} else {
				v = string(o.s.Raw())
			}
			kv = append(kv, name+"="+v)
		})
		if len(kv) > 0 {
			slices.Sort(kv)
			parts = append(parts, section+" "+strings.Join(kv, " "))
		}
	})
	slices.Sort(parts) // limits before requests, always the same order
	return strings.Join(parts, "; ")
}

func (o *objectReader) status() {
	row := o.row
	o.s.Fields(func(key []byte) {
		switch string(key) {
		case "observedGeneration":
			row.ObservedGeneration = o.i64("status.observedGeneration")
		case "replicas", "currentNumberScheduled", "active":
			if row.StatusReplicas == nil || string(key) == "replicas" {
				row.StatusReplicas = o.i32("status." + string(key))
			} else {
				o.s.Skip()
			}
		case "updatedReplicas", "updatedNumberScheduled", "succeeded":
			row.UpdatedReplicas = o.i32("status." + string(key))
		case "readyReplicas", "numberReady", "ready":
			row.ReadyReplicas = o.i32("status." + string(key))
		case "availableReplicas", "numberAvailable":
			row.AvailableReplicas = o.i32("status." + string(key))
		case "phase":
			row.Phase = o.str()
		case "conditions":
			row.Conditions = []load.Condition{}
			o.s.Elems(func() {
				var c load.Condition
				o.s.Fields(func(k []byte) {
					switch string(k) {
					case "type":
						c.Type = o.str()
					case "status":
						c.Status = o.str()
					case "reason":
						c.Reason = o.str()
					case "message":
						c.Message = o.str()
					case "lastTransitionTime":
						if v, ok := o.s.Str(); ok {
							c.LastTransition = parseTime(o.s, "status.conditions.lastTransitionTime", v)
						}
					default:
						o.s.Skip()
					}
				})
				row.Conditions = append(row.Conditions, c)
			})
		case "containerStatuses", "initContainerStatuses":
			o.containerStatuses(string(key) == "initContainerStatuses")
		default:
			o.s.Skip()
		}
	})
}

// containerStatuses merges pod container statuses into the containers read
// from the spec (by name), adding containers the spec did not list.
func (o *objectReader) containerStatuses(init bool) {
	row := o.row
	o.s.Elems(func() {
		var c load.Container
		c.Init = init
		o.s.Fields(func(key []byte) {
			switch string(key) {
			case "name":
				c.Name = o.str()
			case "image":
				c.Image = o.str()
			case "ready":
				if v, ok := o.s.Bool(); ok {
					c.Ready = &v
				}
			case "started":
				if v, ok := o.s.Bool(); ok {
					c.Started = &v
				}
			case "restartCount":
				c.Restarts = o.i32("status.containerStatuses.restartCount")
			case "state":
				o.s.Fields(func(k []byte) {
					switch string(k) {
					case "waiting", "terminated":
						state := string(k)
						o.s.Fields(func(f []byte) {
							switch string(f) {
							case "reason":
								if state == "waiting" {
									c.WaitingReason = o.str()
								} else {
									c.TerminatedRsn = o.str()
								}
							case "exitCode":
								if state == "terminated" {
									c.ExitCode = o.i32("status.containerStatuses.state.terminated.exitCode")
								} else {
									o.s.Skip()
								}
							default:
								o.s.Skip()
							}
						})
					default:
						o.s.Skip()
					}
				})
			case "lastState":
				o.s.Fields(func(k []byte) {
					if string(k) != "terminated" {
						o.s.Skip()
						return
					}
					o.s.Fields(func(f []byte) {
						if string(f) == "reason" {
							c.LastTerminated = o.str()
						} else {
							o.s.Skip()
						}
					})
				})
			default:
				o.s.Skip()
			}
		})
		for i := range row.Containers {
			sc := &row.Containers[i]
			if sc.Name == c.Name && sc.Init == init {
				if c.Image != "" && sc.Image == "" {
					sc.Image = c.Image
				}
				sc.Ready, sc.Started, sc.Restarts = c.Ready, c.Started, c.Restarts
				sc.WaitingReason, sc.TerminatedRsn, sc.ExitCode, sc.LastTerminated = c.WaitingReason, c.TerminatedRsn, c.ExitCode, c.LastTerminated
				return
			}
		}
		row.HasContainers = true
		row.Containers = append(row.Containers, c)
	})
}
