//go:build !unix

package load

import "io/fs"

// fileKey identifies a file; without inodes there is none (symlink loops
// end at the operating system's limit on path length instead).
type fileKey struct{}

func keyOf(fs.FileInfo) (fileKey, bool) { return fileKey{}, false }
