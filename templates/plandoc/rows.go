package plandoc

import (
	"context"
	"io"
	"strconv"

	"github.com/enrollplan/enrollplan/internal/plan"
)

// The rows the document repeats hundreds of times (every step, every
// group of source numbers, every checklist line and source) are written here in Go rather than as templ
// components: each templ component call costs a closure and context
// values, and each { value } a copy through fmt.Sprint and an escaped
// copy, which together were about a third of the document's render. The
// bytes are exactly those the templ components wrote (the golden tests
// hold them): text is escaped as templ escapes it (html.EscapeString).

// stepItem is one step of a list: its box, who does it, the step and
// where it is described when done once for the tenant, with its sources.
type stepItem plan.DocStep

// Render writes the step as the templ component did.
func (s stepItem) Render(_ context.Context, w io.Writer) error {
	o := newOut(w)
	o.raw(`<li><span class="box" aria-hidden="true">☐</span> <span class="actor">`)
	o.text(s.Actor)
	o.raw(`</span> <strong>`)
	o.text(s.Title)
	o.raw(`.</strong> `)
	if s.Detail != "" {
		o.text(" ")
		o.text(s.Detail)
		o.raw(" ")
	}
	if s.Also != "" {
		o.raw(`<span class="meta">`)
		o.text(" Done once for the tenant; described under ")
		o.text(s.Also)
		o.text(".")
		o.raw(`</span>`)
	}
	o.refs(s.Refs)
	o.raw(`</li>`)
	return o.err
}

// refs cites numbered sources as one bracketed group, "[3, 34, 38]", so
// that adjacent numbers never run together ("33438"); each number links to
// its entry in the list at the end and is read out as "source 34".
type refs []int

// Render writes the group; nothing for no sources.
func (ns refs) Render(_ context.Context, w io.Writer) error {
	o := newOut(w)
	o.refs(ns)
	return o.err
}

// taskItem is one line of the checklist: its box, the task, who does it,
// for whom, and when it is due.
type taskItem plan.DocTask

// Render writes the line as the templ loop did.
func (t taskItem) Render(_ context.Context, w io.Writer) error {
	o := newOut(w)
	o.raw(`<li><span class="box" aria-hidden="true">`)
	o.text(box(t.Done))
	o.raw(`</span> `)
	o.text(t.Title)
	o.raw(` <span class="meta">(`)
	o.text(t.Who)
	o.raw(`; `)
	o.text(t.For)
	o.text(dueSuffix(t.Due))
	o.raw(`)</span></li>`)
	return o.err
}

// sourceRow is source n of the list at the end, marked online-only when
// paper leaves it out.
type sourceRow struct {
	n          int
	ref        plan.Reference
	onlineOnly bool
}

func sourceItem(n int, r plan.Reference, onlineOnly bool) sourceRow {
	return sourceRow{n: n, ref: r, onlineOnly: onlineOnly}
}

// Render writes the entry as the templ loop did.
func (s sourceRow) Render(_ context.Context, w io.Writer) error {
	o := newOut(w)
	o.raw(`<li id="ref-`)
	o.int(s.n)
	o.raw(`" class="`)
	if s.onlineOnly {
		o.raw("online-only")
	}
	o.raw(`"><a href="`)
	o.text(s.ref.URL)
	o.raw(`" data-print="`)
	o.text(printedURL(s.ref.URL))
	o.raw(`">`)
	o.text(s.ref.Title)
	o.raw(`</a> <span class="meta">`)
	o.text(refMeta(s.ref))
	o.raw(`</span></li>`)
	return o.err
}

// out writes markup and escaped text to a writer, keeping the first error.
// It lives on the caller's stack: a row costs no allocation of its own.
type out struct {
	w   io.Writer
	sw  io.StringWriter // w, when it writes strings without a copy (a templ buffer does)
	err error
}

func newOut(w io.Writer) out {
	sw, _ := w.(io.StringWriter)
	return out{w: w, sw: sw}
}

// raw writes markup as it is.
func (o *out) raw(s string) {
	if o.err != nil || s == "" {
		return
	}
	if o.sw != nil {
		_, o.err = o.sw.WriteString(s)
	} else {
		_, o.err = io.WriteString(o.w, s)
	}
}

// text writes s escaped as html.EscapeString escapes it (and so templ's
// { s }), without making an escaped copy first.
func (o *out) text(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		o.raw(s[last:i])
		o.raw(esc)
		last = i + 1
	}
	o.raw(s[last:])
}

// int writes a number's digits (those below 100, most source numbers,
// without an allocation: strconv keeps them).
func (o *out) int(n int) { o.raw(strconv.Itoa(n)) }

// refs writes `<sup class="ref">[<a href="#ref-3" aria-label="source 3">3</a>, …]</sup>`.
func (o *out) refs(ns []int) {
	if len(ns) == 0 {
		return
	}
	o.raw(`<sup class="ref">`)
	for i, n := range ns {
		if i == 0 {
			o.raw("[")
		} else {
			o.raw(", ")
		}
		o.raw(`<a href="#ref-`)
		o.int(n)
		o.raw(`" aria-label="source `)
		o.int(n)
		o.raw(`">`)
		o.int(n)
		o.raw(`</a>`)
	}
	o.raw(`]</sup>`)
}
