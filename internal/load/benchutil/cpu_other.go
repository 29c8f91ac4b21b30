//go:build !unix

package benchutil

func cpuTime() int64 { return 0 }
