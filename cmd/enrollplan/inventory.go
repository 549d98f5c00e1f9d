package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/plan"
)

// runInventory is `enrollplan inventory FILE|- [--answers FILE] [--today
// YYYY-MM-DD] [--stale-days N]` (CONTRACT §8.5): it reads a device
// inventory and prints answers whose populations group its devices. Rows it
// cannot place, and stale ones, are listed on stderr with the reason.
func runInventory(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlags("inventory", stderr)
	answersPath := fs.String("answers", "", "answers file (enrollplan.answers/v1 JSON) to add the populations to, or - for standard input")
	today := fs.String("today", "", "the day staleness is measured from, YYYY-MM-DD (default: today, or SOURCE_DATE_EPOCH)")
	staleDays := fs.Int("stale-days", inventory.DefaultStaleDays, "a device not checked in for more than this many days is stale: listed to retire, not placed (0: none is)")
	// The file may come before or after the flags.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return reported{code: 2} // the flag package printed the problem and usage
	}
	var file string
	if fs.NArg() > 0 {
		file = fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	if file == "" {
		return usagef("inventory: name the device inventory (a CSV or .xlsx file), or - for standard input")
	}
	if *today == "" {
		*today = coverDate(getenv)
	}
	day, err := time.Parse(time.DateOnly, *today)
	if err != nil {
		return usagef("inventory: --today %q is not a date; write it as YYYY-MM-DD, for example 2027-01-04", *today)
	}
	if *staleDays < 0 {
		return usagef("inventory: --stale-days must be 0 or more, got %d", *staleDays)
	}
	if file == "-" && *answersPath == "-" {
		return usagef("inventory: the inventory and the answers cannot both come from standard input")
	}

	var answers plan.Answers
	if *answersPath != "" {
		if answers, err = readAnswersToMerge(*answersPath, stdin); err != nil {
			return err
		}
	}
	opts := inventory.Options{Today: day, StaleDays: *staleDays}
	if *staleDays == 0 {
		opts.StaleDays = -1
	}
	res, err := readInventory(file, stdin, opts)
	if err != nil {
		return err
	}
	for _, s := range res.Unplaced {
		fmt.Fprintln(stderr, s.String())
	}
	for _, s := range res.Stale {
		fmt.Fprintln(stderr, s.String()+" (stale)")
	}
	fmt.Fprintln(stderr, summary(res))
	if res.Placed() == 0 {
		fmt.Fprintln(stderr, "enrollplan: inventory: no device could be placed in a population; nothing to plan")
		return reported{code: 1}
	}
	inventory.Merge(&answers, res)
	if answers.Baseline == nil {
		answers.Baseline = []string{}
	}
	cat, err := plan.Load()
	if err != nil {
		return err
	}
	var ve *plan.ValidationError
	if err := cat.Validate(&answers); errors.As(err, &ve) {
		for _, fe := range ve.Errors {
			fmt.Fprintf(stderr, "before `enrollplan plan` reads these answers: %s\n", fe.Error())
		}
	}
	out, err := answersJSON(answers)
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

// answersJSON writes answers indented, as people read them, except the
// inventory's devices: one to a line, so 100,000 rows stay 100,000 lines.
func answersJSON(a plan.Answers) ([]byte, error) {
	inv := a.Inventory
	a.Inventory = nil
	head, err := marshalIndent(a)
	if err != nil || inv == nil {
		return append(head, '\n'), err
	}
	devices := inv.Devices
	inv.Devices = []plan.InventoryDevice{}
	body, err := marshalIndent(inv)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(bytes.TrimSuffix(head, []byte("\n}")))
	b.WriteString(",\n  \"inventory\": ")
	body = bytes.ReplaceAll(body, []byte("\n"), []byte("\n  "))
	if len(devices) > 0 {
		var list bytes.Buffer
		list.WriteString(`"devices": [` + "\n")
		for i, d := range devices {
			line, err := json.Marshal(d)
			if err != nil {
				return nil, err
			}
			list.WriteString("      ")
			list.Write(line)
			if i < len(devices)-1 {
				list.WriteByte(',')
			}
			list.WriteByte('\n')
		}
		list.WriteString("    ]")
		body = bytes.Replace(body, []byte(`"devices": []`), list.Bytes(), 1)
	}
	b.Write(body)
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// readInventory reads the file, or standard input for "-".
func readInventory(path string, stdin io.Reader, opts inventory.Options) (*inventory.Result, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("inventory: cannot read the inventory: %v", err)
		}
		defer f.Close()
		r = f
	}
	res, err := inventory.Read(r, opts)
	var ie *inventory.Error
	if errors.As(err, &ie) {
		return nil, usagef("inventory: %s", ie.Error())
	}
	return res, err
}

// readAnswersToMerge reads answers the populations are added to. They need
// not be complete (no populations yet, say), so they are only decoded here;
// what `enrollplan plan` would still ask for is told after the merge.
func readAnswersToMerge(path string, stdin io.Reader) (plan.Answers, error) {
	var a plan.Answers
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return a, usagef("inventory: cannot read answers: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxAnswersFile+1))
	if err != nil {
		return a, fmt.Errorf("inventory: read answers: %w", err)
	}
	if len(data) > maxAnswersFile {
		return a, usagef("inventory: answers are larger than %d MiB", maxAnswersFile>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, usagef("inventory: the answers are not enrollplan.answers/v1 JSON: %v", err)
	}
	return a, nil
}

// summary is the closing line on stderr: what was read and what became of it.
func summary(res *inventory.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Read %s rows (%s): %s devices in %s populations", plan.Thousands(res.Rows), exportName(res.Format),
		plan.Thousands(res.Placed()), plan.Thousands(countGroups(res, false)))
	if n := res.Devices; len(n) > res.Placed() {
		fmt.Fprintf(&b, ", %s already enrolled in Intune (left out)", plan.Thousands(len(n)-res.Placed()))
	}
	fmt.Fprintf(&b, ", %s stale, %s not placed.", plan.Thousands(len(res.Stale)), plan.Thousands(len(res.Unplaced)))
	return b.String()
}

func exportName(format string) string {
	if format == inventory.FormatSpreadsheet {
		return format
	}
	return format + " export"
}

func countGroups(res *inventory.Result, inIntune bool) int {
	n := 0
	for _, g := range res.Groups {
		if g.InIntune == inIntune {
			n++
		}
	}
	return n
}
