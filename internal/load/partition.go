package load

import (
	"cmp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
)

// A rollout, its ReplicaSets and its pods never cross a namespace, so the
// unit of correlation is a namespace of a cluster. Events are placed by the
// namespace of their involved object (the event's own namespace for
// cluster-scoped objects, which the API server files under "default"),
// audit writes by the namespace of their object.

// PartitionKey names the namespace of a cluster a row belongs to.
type PartitionKey struct{ Cluster, Namespace string }

// Compare orders keys by cluster, then namespace.
func (k PartitionKey) Compare(o PartitionKey) int {
	return cmp.Or(strings.Compare(k.Cluster, o.Cluster), strings.Compare(k.Namespace, o.Namespace))
}

// EventPartition returns the partition of row i of an event table.
func EventPartition(v *View, i int) PartitionKey {
	return PartitionKey{v.Str(ColCluster, i), PartitionNamespace(v, i)}
}

// PartitionNamespace is the namespace an event belongs to: its involved
// object's, else its own.
func PartitionNamespace(v *View, i int) string {
	if ns := v.Str(ColObjectNamespace, i); ns != "" {
		return ns
	}
	return v.Str(ColNamespace, i)
}

// Partition is a run of whole partitions of an archive: the event rows of
// the namespaces from First up to the next Partition's First, sorted as the
// event table is, and the rows of the changes table in the same
// namespaces. Concatenated in order, the Partitions of an archive are its
// event table.
type Partition struct {
	First  PartitionKey
	Events arrow.Record // EventSchema, sorted
	// Changes is the whole changes table (ChangeSchema), shared by all
	// partitions; ChangeRows are the indices of the rows in this
	// partition's namespaces, in table order.
	Changes    arrow.Record
	ChangeRows []int32
}

// Parallel calls fn(0) … fn(n-1) on up to workers goroutines and returns
// when all have returned: how the stages work through parts.
func Parallel(n, workers int, fn func(i int)) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < min(max(workers, 1), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
