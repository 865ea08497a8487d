package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// main only turns SIGINT/SIGTERM into a cancelled context and calls Run.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "crmsync: "+describeError(err))
		os.Exit(1)
	}
}
