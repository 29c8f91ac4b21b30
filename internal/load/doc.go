// Package load owns what every loader shares: the versioned Arrow schemas
// of the event table (EventSchema) and the changes table (ChangeSchema),
// the batches decoders append rows to and the views that read them, input
// errors with their position, sources (files, directories, standard input,
// gzip and zstd, cluster=NAME segments), scopes, and the partition rule
// (PartitionKey): a namespace of a cluster, the unit that correlation and
// every later stage work on, since a rollout never crosses one.
//
// The format decoders are subpackages (k8sjson, audit, yamlrec, pqfile)
// that import this package and never each other; archive composes them.
package load
