package audit

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/evanalyze/evanalyze/internal/load"
)

// gkeEntry collects a Google Cloud Audit Logs entry (GKE's Kubernetes audit
// logs, as exported from Cloud Logging): a LogEntry whose protoPayload is
// an AuditLog. It maps onto the same change row as audit.k8s.io events:
// methodName "io.k8s.apps.v1.deployments.patch" gives the API group,
// version, resource, subresource and verb; resourceName
// "apps/v1/namespaces/shop/deployments/web" the namespace and name;
// authenticationInfo.principalEmail the user; requestMetadata the caller's
// IP and user agent; status.code (a google.rpc.Code) the result;
// operation.id the audit ID; resource.labels.cluster_name the cluster.
type gkeEntry struct {
	method, resourceName, service string
	code                          int32
	hasCode                       bool
	skip                          string
}

func (d *Decoder) gkeKey(key string, g *gkeEntry, row *load.ChangeRow, reqObj, respObj *[]byte) {
	s := &d.s
	switch key {
	case "timestamp":
		// A GKE LogEntry's time, or the deprecated request time of
		// audit.k8s.io v1alpha1 and v1beta1 (v1alpha1 has nothing else):
		// requestReceivedTimestamp and stageTimestamp, when present, win.
		if t := d.time("timestamp"); t != 0 {
			if row.RequestTime == 0 {
				row.RequestTime = t
			}
			if row.CompleteTime == 0 {
				row.CompleteTime = t
			}
		}
	case "receiveTimestamp", "insertId":
		s.Skip()
	case "operation":
		d.s.Fields(func(k []byte) {
			if string(k) == "id" {
				row.AuditID = d.str()
			} else {
				s.Skip()
			}
		})
	case "resource":
		d.s.Fields(func(k []byte) {
			if string(k) != "labels" {
				s.Skip()
				return
			}
			d.s.Fields(func(l []byte) {
				if string(l) == "cluster_name" {
					row.Cluster = d.str()
				} else {
					s.Skip()
				}
			})
		})
	case "protoPayload":
		d.s.Fields(func(k []byte) {
			switch string(k) {
			case "methodName":
				g.method = d.str()
			case "resourceName":
				g.resourceName = d.str()
			case "serviceName":
				g.service = d.str()
			case "authenticationInfo":
				d.s.Fields(func(a []byte) {
					if string(a) == "principalEmail" {
						row.User = d.str()
					} else {
						s.Skip()
					}
				})
			case "requestMetadata":
				d.s.Fields(func(m []byte) {
					switch string(m) {
					case "callerIp":
						row.SourceIP = d.str()
					case "callerSuppliedUserAgent":
						row.UserAgent = d.str()
					default:
						s.Skip()
					}
				})
			case "status":
				d.s.Fields(func(m []byte) {
					if string(m) == "code" {
						if v, ok, err := s.IntIn(0, math.MaxInt32); err != nil {
							d.warnings = append(d.warnings, fmt.Errorf("protoPayload.status.code: %w", err))
						} else if ok {
							g.code, g.hasCode = int32(v), true
						}
					} else if string(m) == "message" {
						row.StatusMessage = d.str()
					} else {
						s.Skip()
					}
				})
			case "request":
				*reqObj = s.Raw()
			case "response":
				*respObj = s.Raw()
			default:
				s.Skip()
			}
		})
	}
}

// finish maps the method and resource names onto the row.
func (g *gkeEntry) finish(row *load.ChangeRow) error {
	rest, ok := strings.CutPrefix(g.method, "io.k8s.")
	if !ok {
		if g.method == "" {
			if row.Verb != "" || row.AuditID != "" {
				return nil // audit.k8s.io fields beside the payload: read as such
			}
			g.skip = "Cloud Audit Logs entry without methodName (no Kubernetes API request to read)"
			return nil
		}
		g.skip = "Cloud Audit Logs entry for " + g.method + " (not a Kubernetes API request)"
		return nil
	}
	parts := strings.Split(rest, ".")
	if len(parts) < 4 {
		// Non-resource requests such as io.k8s.readyz or io.k8s.healthz.
		g.skip = "Cloud Audit Logs entry for the non-resource request " + g.method
		return nil
	}
	// The group may hold dots (io.k8s.networking.k8s.io.v1...): the verb is
	// last, then the resource (and subresource), then the version.
	row.Verb = parts[len(parts)-1]
	vi := -1
	for i := len(parts) - 2; i >= 1; i-- {
		if isVersion(parts[i]) {
			vi = i
			break
		}
	}
	if vi < 1 || vi >= len(parts)-2 {
		return errors.New("Cloud Audit Logs methodName " + g.method + ": no API version")
	}
	group := strings.Join(parts[:vi], ".")
	if group == "core" {
		group = ""
	}
	row.APIGroup, row.APIVersion = group, parts[vi]
	res := parts[vi+1 : len(parts)-1]
	row.Resource = res[0]
	if len(res) > 1 {
		row.Subresource = res[1]
	}
	// resourceName: GROUP/VERSION[/namespaces/NS]/RESOURCE/NAME[/SUB]
	segs := strings.Split(g.resourceName, "/")
	for i := 0; i+1 < len(segs); i++ {
		switch {
		case segs[i] == "namespaces" && i+1 < len(segs) && row.Resource != "namespaces":
			row.Namespace = segs[i+1]
		case segs[i] == row.Resource && i+1 < len(segs):
			row.Name = segs[i+1]
		}
	}
	row.Stage, row.Level = "ResponseComplete", "RequestResponse"
	if g.hasCode {
		row.Code = httpCode(g.code)
	} else {
		row.Code = 200
	}
	return nil
}

func isVersion(s string) bool {
	return len(s) >= 2 && s[0] == 'v' && s[1] >= '0' && s[1] <= '9'
}

// httpCode maps a google.rpc.Code to the HTTP status the API server gave.
func httpCode(c int32) int32 {
	switch c {
	case 0:
		return 200
	case 3:
		return 400
	case 5:
		return 404
	case 6:
		return 409
	case 7:
		return 403
	case 8:
		return 429
	case 9:
		return 412
	case 10:
		return 409
	case 16:
		return 401
	case 4:
		return 504
	case 14:
		return 503
	}
	return 500
}
