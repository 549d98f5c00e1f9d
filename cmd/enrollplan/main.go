// Command enrollplan turns Intune enrollment guidance into a concrete plan:
// offline on the command line (plan) or as a web wizard (serve).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv), os.Stderr)
	stop()
	os.Exit(code)
}
