package archive

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evanalyze/evanalyze/internal/load"
)

// lab-basic's audit log: 719 records, 140 of them event writes that give
// the same 139 events as the exports (and the patch of the combined event).
func TestAuditEvents(t *testing.T) {
	a := loadT(t, labPaths("audit.log.gz"), Options{})
	au := a.Files[0].Audit
	if au.Records != 719 || au.Requests != 719 || au.Writes != 719 || au.Events != 140 || a.Files[0].Rejected != 0 {
		t.Errorf("audit stats %+v, rejected %d", au, a.Files[0].Rejected)
	}
	if a.Totals.Events != 139 || a.Totals.Observations != 140 || a.Totals.Read != 719 {
		t.Errorf("totals %+v", a.Totals)
	}
	b := loadT(t, labPaths("audit.log.gz", "events-list.json"), Options{})
	if b.Totals.Events != 139 || b.Totals.Observations != 140 || b.Totals.Records != 140+139 {
		t.Errorf("audit + export: %+v", b.Totals)
	}
	// Observations from the audit log carry the export's uid when merged
	// rows come from the export, and the api column says where a row came
	// from.
	v := load.NewView(b.Events())
	apis := map[string]int{}
	for i := 0; i < v.Len(); i++ {
		apis[v.Str(load.ColAPI, i)]++
	}
	// Ties between the two files keep the first by file name: audit.log.gz.
	if apis[load.APIAudit] != 140 {
		t.Errorf("apis %v", apis)
	}
}

// The ten workload spec changes of lab-basic's README, with their actors.
func TestAuditChanges(t *testing.T) {
	a := loadT(t, labPaths("audit.log.gz"), Options{})
	rec := a.Changes
	var got []string
	for i := 0; i < int(rec.NumRows()); i++ {
		changed, ok := load.ChangeBool(rec, load.CSpecChanged, i)
		if load.ChangeString(rec, load.CResource, i) != "deployments" || !ok || !changed {
			continue
		}
		at := time.Unix(0, load.ChangeTime(rec, load.CRequestTime, i)).UTC().Format("15:04:05")
		got = append(got, fmt.Sprintf("%s %s %s/%s %s", at, load.ChangeString(rec, load.CUser, i),
			load.ChangeString(rec, load.CNamespace, i), load.ChangeString(rec, load.CName, i), load.ChangeString(rec, load.CChange, i)))
	}
	argo := "system:serviceaccount:argocd:argocd-application-controller"
	want := []string{
		"03:28:27 alice@example.com shop/web created: web=nginx:1.25, replicas 3",
		"03:28:27 alice@example.com shop/cart-api created: cart-api=registry.example.com/cart-api:2.3.0, replicas 2",
		"03:28:27 alice@example.com payments/ledger created: ledger=registry.example.com/ledger:7.1, replicas 2",
		"03:28:52 bob@example.com shop/web image web: nginx:1.25 → nginx:1.26",
		"03:29:12 " + argo + " shop/cart-api image cart-api: registry.example.com/cart-api:2.3.0 → registry.example.com/cart-api:2.4.0-typo; label lab/fault added (imagepull)",
		"03:30:07 alice@example.com shop/cart-api image cart-api: registry.example.com/cart-api:2.4.0-typo → registry.example.com/cart-api:2.3.0; label lab/fault removed (imagepull); rollback to the template of revision 1",
		"03:30:28 " + argo + " payments/ledger image ledger: registry.example.com/ledger:7.1 → registry.example.com/ledger:7.2; label lab/fault added (crash)",
		"03:30:58 " + argo + " payments/ledger image ledger: registry.example.com/ledger:7.2 → registry.example.com/ledger:7.2.1; label lab/fault removed (crash)",
		"03:31:23 bob@example.com shop/web resources web: requests cpu=100m memory=64Mi → requests cpu=8 memory=64Mi",
		"03:31:43 bob@example.com shop/web resources web: requests cpu=8 memory=64Mi → requests cpu=100m memory=64Mi; rollback to the template of revision 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("spec changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The two scale-outs are changes but not of the template.
	var scales []string
	for i := 0; i < int(rec.NumRows()); i++ {
		if load.ChangeString(rec, load.CSubresource, i) == "scale" {
			scales = append(scales, load.ChangeString(rec, load.CChange, i))
		}
	}
	if strings.Join(scales, ", ") != "replicas 3 → 5, replicas 5 → 3" {
		t.Errorf("scales %q", scales)
	}
}

// Stages of one request merge: the completed stage wins, the received
// stage fills what it lacks.
func TestAuditStages(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"r1","stage":"RequestReceived","verb":"patch","user":{"username":"carol"},"userAgent":"kubectl","objectRef":{"resource":"deployments","namespace":"n","name":"d","apiGroup":"apps"},"requestReceivedTimestamp":"2026-01-01T00:00:00.100000Z","stageTimestamp":"2026-01-01T00:00:00.100000Z"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"r1","stage":"ResponseComplete","verb":"patch","user":{"username":"carol"},"objectRef":{"resource":"deployments","namespace":"n","name":"d","apiGroup":"apps"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-01-01T00:00:00.100000Z","stageTimestamp":"2026-01-01T00:00:00.300000Z"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"r2","stage":"ResponseComplete","verb":"get","user":{"username":"carol"},"objectRef":{"resource":"pods"}}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"r2","stage":"RequestReceived","verb":"get","user":{"username":"carol"},"objectRef":{"resource":"pods"}}`,
	}
	writeFile(t, dir+"/audit.log", strings.Join(lines, "\n")+"\n")
	a := loadT(t, []string{dir + "/audit.log"}, Options{})
	au := a.Files[0].Audit
	if au.Records != 4 || au.Requests != 2 || au.Duplicates != 2 || au.Writes != 1 {
		t.Errorf("stats %+v", au)
	}
	rec := a.Changes
	if rec.NumRows() != 1 || load.ChangeString(rec, load.CStage, 0) != "ResponseComplete" || load.ChangeString(rec, load.CUserAgent, 0) != "kubectl" {
		t.Errorf("changes: %d rows, stage %q, agent %q", rec.NumRows(), load.ChangeString(rec, load.CStage, 0), load.ChangeString(rec, load.CUserAgent, 0))
	}
}

// An AKS diagnostic-logs export: audit events as JSON strings inside an
// Event Hubs envelope.
func TestAKSEnvelope(t *testing.T) {
	a := loadT(t, []string{"../../../testdata/public/sysdig-aks-audit-sample/event.json"}, Options{})
	f := a.Files[0]
	if f.Read != 22 || f.Audit.Records != 22 || f.Rejected != 0 || f.Envelopes["azure-diagnostics"] != 1 || f.Format != "audit" {
		t.Fatalf("AKS sample: read %d, audit %+v, rejected %d, envelopes %v, format %s", f.Read, f.Audit, f.Rejected, f.Envelopes, f.Format)
	}
	if f.Audit.ByLevel["Metadata"] != 12 || f.Audit.ByLevel["Request"] != 10 {
		t.Errorf("levels %v", f.Audit.ByLevel)
	}
}

// Counts add up with audit logs too.
func TestCountsAddUp(t *testing.T) {
	a := loadT(t, []string{labBasic}, Options{})
	tot := a.Totals
	if tot.Read != tot.Audit.Records+(tot.Records-tot.Audit.Events)+tot.Skipped+tot.Rejected || tot.Records != tot.Observations+tot.Duplicates {
		t.Errorf("totals do not add up: %+v", tot)
	}
}

// GKE Cloud Audit Logs entries map onto the changes table; GKE's own
// control-plane operations are skipped with the reason.
func TestGKECloudAuditLogs(t *testing.T) {
	a := loadT(t, []string{"../../../testdata/public/khi-gke-audit"}, Options{})
	if a.Totals.Rejected != 0 || a.Totals.Skipped != 1 || a.Changes.NumRows() != 1 {
		t.Fatalf("totals %+v, %d changes", a.Totals, a.Changes.NumRows())
	}
	got := fmt.Sprintf("%s %s %s %s/%s %s/%s %s %s",
		load.ChangeString(a.Changes, load.CCluster, 0), load.ChangeString(a.Changes, load.CVerb, 0), load.ChangeString(a.Changes, load.CResource, 0),
		load.ChangeString(a.Changes, load.CNamespace, 0), load.ChangeString(a.Changes, load.CName, 0),
		load.ChangeString(a.Changes, load.COwnerKind, 0), load.ChangeString(a.Changes, load.COwnerName, 0),
		load.ChangeString(a.Changes, load.CUser, 0), load.ChangeString(a.Changes, load.CSourceIP, 0))
	want := "sample-cluster create pods 1-2-deployment-update/nginx-deployment-surge-8655b4b8c5-xf5f4 ReplicaSet/nginx-deployment-surge-8655b4b8c5 system:serviceaccount:kube-system:replicaset-controller 172.16.0.3"
	if got != want {
		t.Errorf("change\n got  %s\n want %s", got, want)
	}
	for _, f := range a.Files {
		for r, n := range f.SkipReasons {
			if n != 1 || !strings.Contains(r, "google.container.v1.ClusterManager.CreateCluster (not a Kubernetes API request)") {
				t.Errorf("skip %q ×%d", r, n)
			}
		}
	}
}

// Options.Changes leaves the writes of other resources out of the changes
// table, and nothing out of the counts.
func TestChangeSets(t *testing.T) {
	if testing.Short() {
		t.Skip("long: make test-long (which CI runs) runs it")
	}
	paths := append(labPaths("audit.log.gz"), "../../../testdata/lab-workloads")
	all := loadT(t, paths, Options{Changes: AllChanges})
	rows := func(a *Archive) map[string]int {
		m := map[string]int{}
		for i := 0; i < int(a.Changes.NumRows()); i++ {
			m[load.ChangeString(a.Changes, load.CResource, i)]++
		}
		return m
	}
	everything := rows(all)
	for _, res := range []string{"deployments", "replicasets", "pods", "events", "clusterroles"} {
		if everything[res] == 0 {
			t.Fatalf("no %s writes in the recordings: %v", res, everything)
		}
	}
	for _, c := range []struct {
		set  ChangeSet
		keep func(string) bool
	}{
		{WorkloadChanges, func(r string) bool { return specResources[r] || r == "pods" }},
		{NoChanges, func(string) bool { return false }},
	} {
		a := loadT(t, paths, Options{Changes: c.set})
		if a.Totals.Audit.Requests != all.Totals.Audit.Requests || a.Totals.Audit.Writes != all.Totals.Audit.Writes ||
			a.Totals.Audit.Duplicates != all.Totals.Audit.Duplicates || a.Totals.Read != all.Totals.Read {
			t.Errorf("set %d: audit totals %+v, want those of all changes %+v", c.set, a.Totals.Audit, all.Totals.Audit)
		}
		for i := range a.Files {
			if a.Files[i].Audit.Requests != all.Files[i].Audit.Requests || a.Files[i].Audit.Writes != all.Files[i].Audit.Writes {
				t.Errorf("set %d: %s: %d requests, %d writes; want %d, %d", c.set, a.Files[i].File, a.Files[i].Audit.Requests,
					a.Files[i].Audit.Writes, all.Files[i].Audit.Requests, all.Files[i].Audit.Writes)
			}
		}
		got := rows(a)
		for res, n := range everything {
			want := 0
			if c.keep(res) {
				want = n
			}
			if got[res] != want {
				t.Errorf("set %d: %d %s rows, want %d", c.set, got[res], res, want)
			}
		}
		if a.Totals.Observations != all.Totals.Observations {
			t.Errorf("set %d: %d observations, want %d (event writes in audit logs are events whatever the set)", c.set, a.Totals.Observations, all.Totals.Observations)
		}
	}
}
