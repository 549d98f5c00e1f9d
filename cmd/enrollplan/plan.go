package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/enrollplan/enrollplan/internal/plan"
	"github.com/enrollplan/enrollplan/templates/plandoc"
)

// maxAnswersFile bounds what the CLI reads; real answers are a few KiB.
const maxAnswersFile = 8 << 20

// runPlan is `enrollplan plan --answers FILE|- --format md|json|csv|html`.
func runPlan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlags("plan", stderr)
	answersPath := fs.String("answers", "", "answers file (enrollplan.answers/v1 JSON), or - for standard input")
	format := fs.String("format", "md", "output format: md, json, csv or html")
	today := fs.String("today", "", "the date the plan is made on, YYYY-MM-DD (default: today, or SOURCE_DATE_EPOCH); due dates and what is late follow from it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *today == "" {
		*today = coverDate(getenv)
	} else if _, err := time.Parse(time.DateOnly, *today); err != nil {
		return usagef("plan: --today %q is not a date; write it as YYYY-MM-DD, for example 2027-01-04", *today)
	}
	if *answersPath == "" {
		return usagef("plan: --answers is required (a file, or - for standard input)")
	}
	switch *format {
	case "md", "json", "csv", "html":
	default:
		return usagef("plan: --format %q is not a format; use md, json, csv or html", *format)
	}
	data, err := readAnswers(*answersPath, stdin)
	if err != nil {
		return err
	}
	cat, err := plan.Load()
	if err != nil {
		return err
	}
	answers, err := cat.DecodeAnswers(data)
	if err != nil {
		return err
	}
	p, err := cat.BuildWith(answers, plan.BuildOptions{Today: *today})
	if err != nil {
		return err
	}
	var buf bytes.Buffer // render fully before writing, so a failure prints nothing partial
	if err := render(ctx, &buf, p, *format, coverDate(getenv)); err != nil {
		return err
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}

// render writes a plan in one of the four formats.
func render(ctx context.Context, w io.Writer, p *plan.Plan, format, date string) error {
	switch format {
	case "json":
		return plan.WriteJSON(w, p)
	case "csv":
		return plan.WriteCSV(w, p)
	case "html":
		return plandoc.Document(p, plandoc.Options{Date: date, InlineStyle: true}).Render(ctx, w)
	}
	return plan.WriteMarkdown(w, p)
}

// coverDate is today, or SOURCE_DATE_EPOCH (the reproducible-builds
// convention) when set, so printed plans can be reproduced byte for byte.
func coverDate(getenv func(string) string) string {
	if v := getenv("SOURCE_DATE_EPOCH"); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.Unix(secs, 0).UTC().Format(time.DateOnly)
		}
	}
	return time.Now().Format(time.DateOnly)
}

func readAnswers(path string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("plan: cannot read answers: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxAnswersFile+1))
	if err != nil {
		return nil, fmt.Errorf("plan: read answers: %w", err)
	}
	if len(data) > maxAnswersFile {
		return nil, usagef("plan: answers are larger than %d MiB", maxAnswersFile>>20)
	}
	return data, nil
}
