package changes

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// A change without a time or an object name says so in the table, and
// leaves the time out of the JSON rather than writing "".
func TestUnknownTimeAndName(t *testing.T) {
	rows := []Change{{Cluster: "default", Namespace: "batch", Resource: "pods", Verb: "create", Code: 403}}
	var b bytes.Buffer
	if err := WriteText(&b, rows); err != nil {
		t.Fatal(err)
	}
	line := strings.Split(b.String(), "\n")[1]
	if !strings.HasPrefix(line, "unknown ") || !strings.Contains(line, "pods (name unknown)") {
		t.Errorf("text row %q", line)
	}
	j, err := json.Marshal(rows[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), `"time"`) {
		t.Errorf("JSON %s has an empty time", j)
	}
}
