package web

import (
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/enrollplan/enrollplan/internal/store"
)

// appendProgressJSON appends the API's progress (CONTRACT §8.3) as seen
// through ps's revision: the bytes encoding/json writes for
// progressDoc(ps.filtered()) with HTML escaping off, newline included.
// Written by hand because every PATCH answers the whole progress: with a
// few hundred tasks, filtering into new maps and encoding them by
// reflection was a third of a PATCH's CPU.
func appendProgressJSON(dst []byte, ps progressState) []byte {
	p := ps.p
	dst = append(dst, `{"plan_revision":`...)
	dst = strconv.AppendInt(dst, int64(p.PlanRevision), 10)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, p.Version, 10)
	dst = append(dst, `,"tasks":{`...)
	first := true
	task := func(id string, tp store.TaskProgress) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, id)
		dst = append(dst, `:{"status":`...)
		dst = appendJSONString(dst, tp.Status)
		dst = append(dst, `,"note":`...)
		dst = appendJSONString(dst, tp.Note)
		dst = append(dst, `,"updated":"`...)
		if !tp.Updated.IsZero() { // as apiTime
			dst = tp.Updated.UTC().AppendFormat(dst, time.RFC3339)
		}
		dst = append(dst, `","by":`...)
		dst = appendJSONString(dst, tp.By)
		dst = append(dst, '}')
	}
	if 8*len(p.Tasks) < len(ps.t.IDs) {
		// A few tasks recorded: sorting them beats walking every task.
		for _, id := range slices.Sorted(maps.Keys(p.Tasks)) {
			if _, ok := ps.t.Tasks[id]; ok { // else a task the revision does not have
				task(id, p.Tasks[id])
			}
		}
	} else {
		for _, id := range ps.t.IDs { // already in order
			if tp, ok := p.Tasks[id]; ok {
				task(id, tp)
			}
		}
	}
	dst = append(dst, `},"enrolled":{`...)
	first = true // now for the waves
	for _, wave := range slices.Sorted(maps.Keys(p.Enrolled)) {
		pops := p.Enrolled[wave]
		var counted []string // the populations the revision counts in this wave
		for pop := range pops {
			if ps.t.section(wave, pop) != nil {
				counted = append(counted, pop)
			}
		}
		if len(counted) == 0 {
			continue
		}
		slices.Sort(counted)
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, wave)
		dst = append(dst, ":{"...)
		for i, pop := range counted {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, pop)
			dst = append(dst, ':')
			dst = strconv.AppendInt(dst, int64(pops[pop].Count), 10)
		}
		dst = append(dst, '}')
	}
	return append(dst, "}}\n"...)
}

// appendJSONString appends s as encoding/json writes a string with HTML
// escaping off: quotes, backslashes and control characters escaped,
// invalid UTF-8 as U+FFFD, and U+2028 and U+2029 escaped (JavaScript
// reads them as line ends).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// progressJSONSize is about the length of appendProgressJSON's answer
// (a little more for escapes), so its buffer is allocated once.
func progressJSONSize(p store.Progress) int {
	n := 128
	for id, tp := range p.Tasks {
		n += len(`"":{"status":"","note":"","updated":"2006-01-02T15:04:05Z","by":""},`) + 8 +
			len(id) + len(tp.Status) + len(tp.Note) + len(tp.By)
	}
	for _, pops := range p.Enrolled {
		n += 32 + 48*len(pops)
	}
	return n
}
