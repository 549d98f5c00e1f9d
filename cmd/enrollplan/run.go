package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version from the build info is used.
var version = ""

// usageError is bad input from the user: exit code 2 (CONTRACT §1).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// reported means the problem was already written to stderr.
type reported struct{ code int }

func (e reported) Error() string { return fmt.Sprintf("exit %d", e.code) }

const usageText = `enrollplan turns Intune device-enrollment guidance into a concrete plan.

Usage:
  enrollplan serve [--addr :8080] [--db ./data/enrollplan.db] [--session-keys K1,K2] [--create-limit 60]
  enrollplan plan --answers FILE|- [--format md|json|csv|html]
  enrollplan inventory FILE|- [--answers FILE] [--today YYYY-MM-DD] [--stale-days 90]
      a device list (CSV or .xlsx) grouped into answers; plan needs an organisation too (--answers)
  enrollplan version

Exit codes: 0 ok, 2 bad input, 1 anything else.
`

// run is the whole program behind main, with its world passed in so tests
// can drive every command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "plan":
		return runPlan(ctx, rest, stdin, stdout, stderr, getenv)
	case "serve":
		return runServe(ctx, rest, stdout, stderr, getenv)
	case "inventory":
		return runInventory(ctx, rest, stdin, stdout, stderr, getenv)
	case "check-tenant":
		return runCheckTenant(ctx, rest, stdin, stdout, stderr, getenv)
	case "version", "--version", "-version":
		cat, err := plan.Load()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "enrollplan %s\nruleset %s\n", buildVersion(), cat.Ruleset)
		return nil
	case "help", "--help", "-h", "-help":
		fmt.Fprint(stdout, usageText)
		return nil
	}
	fmt.Fprint(stderr, usageText)
	return usagef("unknown command %q", cmd)
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitCode prints an error the way CONTRACT §1 asks and picks the code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var r reported
	if errors.As(err, &r) {
		return r.code
	}
	var ve *plan.ValidationError
	if errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			fmt.Fprintln(stderr, fe.Error())
		}
		return 2
	}
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "enrollplan:", err)
		}
		return 2
	}
	fmt.Fprintln(stderr, "enrollplan:", err)
	return 1
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags turns flag errors into usage errors (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return reported{code: 2} // the flag package already printed the problem and usage
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
