package pqfile

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/evanalyze/evanalyze/internal/load"
)

// Parquet that other pipelines wrote has no evanalyze.events.version in
// its metadata. Its columns are found by name: the Kubernetes JSON field
// names of core/v1 and events.k8s.io/v1 Events, nested as a JSON-to-Parquet
// export of the objects gives them (metadata.name, involvedObject.kind,
// regarding.kind, firstTimestamp, ...), or the flat column names of the
// event table (docs/schema.md); ReadOptions.Columns maps others. The
// derived columns are computed as for JSON inputs, and each row's
// provenance is the Parquet file itself.

// candidates are the columns read into each field of the event table,
// in order: the first one a file has is read, and where a row has no
// value in it (null or empty) the next ones fill in.
var candidates = map[int][]string{
	load.ColCluster:             {"clusterName", "cluster"},
	load.ColNamespace:           {"metadata.namespace", "namespace"},
	load.ColName:                {"metadata.name", "name"},
	load.ColUID:                 {"metadata.uid", "uid"},
	load.ColResourceVersion:     {"metadata.resourceVersion", "resource_version"},
	load.ColObjectKind:          {"involvedObject.kind", "regarding.kind", "object_kind"},
	load.ColObjectAPIVersion:    {"involvedObject.apiVersion", "regarding.apiVersion", "object_api_version"},
	load.ColObjectNamespace:     {"involvedObject.namespace", "regarding.namespace", "object_namespace"},
	load.ColObjectName:          {"involvedObject.name", "regarding.name", "object_name"},
	load.ColObjectUID:           {"involvedObject.uid", "regarding.uid", "object_uid"},
	load.ColObjectFieldPath:     {"involvedObject.fieldPath", "regarding.fieldPath", "object_field_path"},
	load.ColOwnerKind:           {"owner_kind"},
	load.ColOwnerName:           {"owner_name"},
	load.ColOwnerUID:            {"owner_uid"},
	load.ColRelatedKind:         {"related.kind", "related_kind"},
	load.ColRelatedNamespace:    {"related.namespace", "related_namespace"},
	load.ColRelatedName:         {"related.name", "related_name"},
	load.ColRelatedUID:          {"related.uid", "related_uid"},
	load.ColReason:              {"reason"},
	load.ColMessage:             {"message", "note"},
	load.ColType:                {"type"},
	load.ColAction:              {"action"},
	load.ColReportingController: {"reportingComponent", "reportingController", "reporting_controller", "source.component", "deprecatedSource.component"},
	load.ColReportingInstance:   {"reportingInstance", "reporting_instance", "source.host", "deprecatedSource.host"},
	load.ColCount:               {"count", "deprecatedCount"},
	load.ColSeriesCount:         {"series.count", "series_count"},
	load.ColFirstTime:           {"firstTimestamp", "deprecatedFirstTimestamp", "first_time"},
	load.ColLastTime:            {"lastTimestamp", "deprecatedLastTimestamp", "last_time"},
	load.ColEventTime:           {"eventTime", "event_time"},
	load.ColSeriesLastTime:      {"series.lastObservedTime", "series_last_time"},
	load.ColCreatedTime:         {"metadata.creationTimestamp", "created_time"},
	load.ColTime:                {"time"},
	load.ColAPI:                 {"apiVersion", "api"},
}

// Mappable are the fields ReadOptions.Columns may map: the columns of the
// event table that inputs give (not provenance, latest or duplicates).
func Mappable() []string {
	var out []string
	for col := range candidates {
		out = append(out, load.EventSchema.Field(col).Name)
	}
	sort.Strings(out)
	return out
}

// ParseColumns parses --columns: field=column pairs separated by commas,
// field a column of the event table (Mappable), column a Parquet column
// path with dots between nested names.
func ParseColumns(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		field, column, ok := strings.Cut(kv, "=")
		field, column = strings.TrimSpace(field), strings.TrimSpace(column)
		if !ok || field == "" || column == "" {
			return nil, fmt.Errorf("%q: want field=column", kv)
		}
		if !slices.Contains(Mappable(), field) {
			return nil, fmt.Errorf("%q: no field %s in the event table (one of %s)", kv, field, strings.Join(Mappable(), ", "))
		}
		if _, dup := out[field]; dup {
			return nil, fmt.Errorf("%s mapped twice", field)
		}
		out[field] = column
	}
	return out, nil
}

// required fields of a foreign file: what the correlator needs.
var required = []int{load.ColReason, load.ColObjectKind, load.ColObjectName}

// timeFields give an observation its time; a file needs one of them.
var timeFields = []int{load.ColTime, load.ColLastTime, load.ColFirstTime, load.ColEventTime, load.ColSeriesLastTime, load.ColCreatedTime}

// foreign says how to read a file other pipelines wrote.
type foreign struct {
	file       string
	defaultAPI string // when a row names none
	apiVersion bool   // the api column holds apiVersion values
	timeBound  bool   // the file has a time column: no need to derive it
}

// foreignBindings finds the columns of a foreign file. The errors name
// the file's columns and say how to map them.
func foreignBindings(schema *parquet.Schema, columns map[string]string, file string) ([]binding, *foreign, error) {
	f := &foreign{file: file, defaultAPI: load.APICoreV1}
	var binds []binding
	has := map[int]bool{}
	for col := 0; col < load.NumColumns; col++ {
		names, ok := candidates[col]
		if !ok {
			continue
		}
		field := load.EventSchema.Field(col).Name
		if mapped, ok := columns[field]; ok {
			l, err := bindLeaf(schema, mapped, targets[col])
			if err != nil {
				return nil, nil, fmt.Errorf("%w (--columns %s=%s)", err, field, mapped)
			}
			binds = append(binds, binding{col: col, leaf: l})
			has[col] = true
			if col == load.ColAPI {
				f.apiVersion = mapped == "apiVersion" || strings.HasSuffix(mapped, ".apiVersion")
			}
			continue
		}
		var b binding
		for _, name := range names {
			if _, _, ok := findNode(schema, name); !ok {
				continue
			}
			l, err := bindLeaf(schema, name, targets[col])
			if err != nil {
				return nil, nil, fmt.Errorf("%w (or map another column with --columns %s=COLUMN)", err, field)
			}
			if b.leaf == nil {
				b = binding{col: col, leaf: l}
				if col == load.ColAPI {
					f.apiVersion = name == "apiVersion"
				}
			} else if col != load.ColAPI {
				b.more = append(b.more, l)
			}
		}
		if b.leaf != nil {
			binds = append(binds, b)
			has[col] = true
		}
	}
	for _, col := range required {
		if !has[col] {
			field := load.EventSchema.Field(col).Name
			return nil, nil, fmt.Errorf("column %s missing: none of %s (map one with --columns %s=COLUMN)", field, strings.Join(candidates[col], ", "), field)
		}
	}
	if !slices.ContainsFunc(timeFields, func(c int) bool { return has[c] }) {
		return nil, nil, fmt.Errorf("no time column: none of %s (map one with --columns last_time=COLUMN)", strings.Join(timeNames(), ", "))
	}
	f.timeBound = has[load.ColTime]
	for _, path := range []string{"regarding", "note", "deprecatedCount", "deprecatedSource", "deprecatedFirstTimestamp", "reportingController"} {
		if _, ok := schema.Lookup(path); ok {
			f.defaultAPI = load.APIEventsV1 // the events.k8s.io/v1 field names
			break
		}
	}
	return binds, f, nil
}

func timeNames() []string {
	var out []string
	for _, col := range timeFields {
		out = append(out, candidates[col]...)
	}
	return out
}

// deriveTime fills the time column of rows [from, from+n) from the other
// times, as Batch.Append does (load.ObservedTime).
func (t *table) deriveTime(from, n int) {
	// A null time holds 0 (intPage, nulls), which ObservedTime reads as
	// absent.
	var in [5][]int64
	for k, col := range [5]int{load.ColFirstTime, load.ColLastTime, load.ColEventTime, load.ColSeriesLastTime, load.ColCreatedTime} {
		c := t.i64[col]
		if add := from + n - c.len(); add > 0 {
			clear(c.extend(add)) // a column the file does not have: null
		}
		in[k] = c.vals.all()[from : from+n]
	}
	first, last, ev, sl, cr := in[0], in[1][:n], in[2][:n], in[3][:n], in[4][:n]
	tm := t.i64[load.ColTime]
	out := tm.extend(from + n - tm.len())
	base := tm.len() - len(out)
	bits := tm.valid.bits.all()
	set := 0
	for i, f := range first {
		v := load.ObservedTime(f, last[i], ev[i], sl[i], cr[i])
		r := from + i
		if r >= base {
			out[r-base] = v
			if v != 0 {
				bits[r>>3] |= 1 << (r & 7)
				set++
			}
		}
	}
	tm.valid.nulls -= set
}

// derive fills the columns of rows [from, from+n) that a foreign file
// does not hold as such, as Batch.Append does for JSON inputs: the
// refined first time, the observation time, the API, and the provenance
// (the Parquet file; line is the row's number in it, from 1, and offset
// its index). row is the index in the file of the group's first row.
func (t *table) derive(f *foreign, from, n int, row int64) {
	first, last := t.i64[load.ColFirstTime], t.i64[load.ColLastTime]
	ev, sl, cr := t.i64[load.ColEventTime], t.i64[load.ColSeriesLastTime], t.i64[load.ColCreatedTime]
	for _, c := range []*fixedCol[int64]{first, last, ev, sl, cr} {
		if k := from + n - c.len(); k > 0 {
			c.extend(k) // a field the file does not have: null
			clear(c.vals.all()[c.len()-k:])
		}
	}
	name := t.str[load.ColName]
	if name.len() < from+n {
		name.addNulls(from + n - name.len())
	}
	val := func(c *fixedCol[int64], r int) int64 {
		if isSet(c.valid.bits.all(), r) {
			return c.vals.all()[r]
		}
		return 0
	}
	offs, data := name.offs.all(), name.data.all()
	for r := from; r < from+n; r++ {
		if v := val(first, r); v != 0 && v%1e9 == 0 {
			if refined := load.RefineFirst(data[offs[r]:offs[r+1]], v); refined != v {
				first.vals.all()[r] = refined
			}
		}
	}
	if !f.timeBound {
		t.deriveTime(from, n)
	}
	api := t.dict[load.ColAPI]
	if api.len() < from+n {
		api.fill(from+n-api.len(), []byte(f.defaultAPI))
	} else {
		// apiVersion values say which API a row came through; an api
		// column (the event table's) names it. Empty ones take the
		// file's default.
		def := api.id([]byte(f.defaultAPI))
		events, core := api.id([]byte(load.APIEventsV1)), api.id([]byte(load.APICoreV1))
		to := make([]int32, len(api.memo))
		for v, id := range api.memo {
			to[id] = def
			switch {
			case !f.apiVersion:
				to[id] = id
			case v == "events.k8s.io/v1" || v == "events.k8s.io/v1beta1":
				to[id] = events
			case v == "v1":
				to[id] = core
			}
		}
		idx, bits := api.idx.all(), api.valid.bits.all()
		for r := from; r < from+n; r++ {
			if isSet(bits, r) {
				idx[r] = to[idx[r]]
			} else {
				idx[r] = def
				api.valid.set(r)
			}
		}
	}
	t.dict[load.ColSourceFormat].fill(n, []byte("parquet"))
	t.dict[load.ColSourceFile].fill(n, []byte(f.file))
	line, off := t.i64[load.ColSourceLine], t.i64[load.ColSourceOffset]
	lines, offsets := line.extend(n), off.extend(n)
	for i := range lines {
		lines[i], offsets[i] = row+int64(i)+1, row+int64(i)
	}
	line.valid.setRange(from, n)
	off.valid.setRange(from, n)
}
