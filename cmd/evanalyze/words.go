package main

import (
	"fmt"
	"strings"
)

// plural is "1 file", "2 files", "2 retries": n and the noun, with an s
// unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
