// Command evanalyze reads archived Kubernetes events and audit logs and
// reconstructs what happened: rollouts, their phases, triggers and
// outcomes.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"

	"github.com/evanalyze/evanalyze/internal/report/textsafe"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// EVANALYZE_CPUPROFILE=FILE writes a CPU profile of the run, for
	// `go tool pprof` (make bench-scale profiles with it).
	if p := os.Getenv("EVANALYZE_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			code := run(ctx, os.Args[1:], streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "Error: cpu profile: %v\n", err)
			}
			stop()
			os.Exit(code)
		}
	}
	os.Exit(run(ctx, os.Args[1:], streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}

func run(ctx context.Context, args []string, io streams) int {
	cmd := newRootCmd(io)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(ctx); err != nil {
		// Errors name files and quote input: one line, sanitized.
		fmt.Fprintf(io.Err, "Error: %s\n", textsafe.Sanitize(err.Error()))
		var ue *usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFailure
	}
	return exitOK
}
