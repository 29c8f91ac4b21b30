package main

import "fmt"

// plural is "1 file", "2 files": n and the noun, with an s unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
