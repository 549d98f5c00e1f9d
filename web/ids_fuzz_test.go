package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/enrollplan/enrollplan/internal/store"
)

// fuzzPlanID and fuzzEditKey name the one plan the id fuzz target reads.
const (
	fuzzPlanID  = "fuzzPlanAAAAAAAAAAAAAA"
	fuzzEditKey = "fuzz-edit-key-fuzz-edit-key-fuzz-edit-key-0"
)

// FuzzPlanRefs fuzzes every id and revision a URL or header carries:
// /p/{id}[.fmt], /p/{id}/r/{n}[.fmt], /p/{id}/changes?from=&to=, the API's
// /api/v1/plans/{id} and If-Match (issue "Hardening", M3 and item 6). The
// parsers agree with store.ValidID, and every answer is 200, 4xx or 304,
// never a 5xx; a read of a malformed id never reaches the database.
func FuzzPlanRefs(f *testing.F) {
	for _, s := range []struct{ ref, rev, from, to, im string }{
		{fuzzPlanID, "1", "", "", `"1"`},
		{fuzzPlanID + ".md", "1.csv", "1", "2", `W/"2"`},
		{fuzzPlanID + ".json", "2.json", "2", "1", `"2147483647"`},
		{fuzzPlanID + ".csv", "2147483648", "0", "2147483648", `"2147483648"`},
		{fuzzPlanID + ".html", "9223372036854775807", "-1", "9223372036854775808", `"9223372036854775807"`},
		{fuzzPlanID + ".md.md", "1e3", "x", "", `"-1"`},
		{fuzzPlanID + ".", "-1", " 1 ", " 2 ", `"1e9"`},
		{"fuzzPlanAAAAAAAAAAAAA", "0", "１", "٢", `x`},
		{"fuzzPlanAAAAAAAAAAAAAAA", "+1", "+1", "0x2", `""`},
		{"../../etc/passwd", "1/2", "1&to=2", "%zz", `"1", "2"`},
		{"%zz", "%00", "\x00", "\xff", `*`},
		{fuzzPlanID + "%2Emd", "01", "001", "2 ", ` "1" `},
	} {
		f.Add(s.ref, s.rev, s.from, s.to, s.im)
	}
	env := newFuzzServer(f)
	answers, err := os.ReadFile("../examples/byod-mam.json") // small: each input renders and saves it
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	if _, err := env.store.CreatePlan(ctx, store.NewPlan{ID: fuzzPlanID, EditKeyHash: store.HashKey(fuzzEditKey), Answers: answers, Ruleset: env.srv.cat.Ruleset}); err != nil {
		f.Fatal(err)
	}
	if _, err := env.store.UpdatePlan(ctx, store.Update{ID: fuzzPlanID, ExpectedRevision: 1, Answers: answers, Ruleset: env.srv.cat.Ruleset}); err != nil {
		f.Fatal(err)
	}
	base := env.store.Checkpoint() // the plan at two revisions, for every input
	get := func(t *testing.T, path, rawQuery string) int {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", rawQuery
		return env.serve(t, req, "GET "+path+"?"+rawQuery).Code
	}
	f.Fuzz(func(t *testing.T, ref, rev, from, to, im string) {
		env.store.Restore(base)
		// splitRef answers only ids ValidID accepts, with a known format.
		id, format, ok := splitRef(ref)
		if ok {
			if !store.ValidID(id) || (format != "" && shareFormats[format] == "") || (ref != id && ref != id+"."+format) {
				t.Fatalf("splitRef(%q) = %q, %q, true", ref, id, format)
			}
		} else if store.ValidID(ref) {
			t.Fatalf("splitRef refuses the valid id %q", ref)
		}

		// /p/{ref}: the plan when the id is ours, else 404.
		code := get(t, "/p/"+ref, "")
		if want := ok && id == fuzzPlanID; want && code != http.StatusOK {
			t.Fatalf("/p/%s: %d", ref, code)
		} else if !want && code != http.StatusNotFound && strings.IndexByte(ref, '/') < 0 {
			t.Fatalf("/p/%s: %d, want 404", ref, code)
		}

		// /p/{id}/r/{rev}: revisions 1 to the latest exist; anything else is 404.
		revs, err := env.store.ListRevisions(ctx, fuzzPlanID)
		if err != nil {
			t.Fatal(err)
		}
		code = get(t, "/p/"+fuzzPlanID+"/r/"+rev, "")
		num, fmtPart, _ := strings.Cut(rev, ".")
		n, nerr := strconv.Atoi(num)
		exists := nerr == nil && n >= 1 && n <= len(revs) && (fmtPart == "" || shareFormats[fmtPart] != "") && !strings.Contains(rev, "/")
		if exists != (code == http.StatusOK) {
			t.Fatalf("/p/ID/r/%s: %d", rev, code)
		}

		// /p/{id}/changes: 200, or 400/404 with a message.
		q := url.Values{}
		if from != "" {
			q.Set("from", from)
		}
		if to != "" {
			q.Set("to", to)
		}
		switch code = get(t, "/p/"+fuzzPlanID+"/changes", q.Encode()); code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("/p/ID/changes?%s: %d", q.Encode(), code)
		}
		if f, tt, err := changesRange(from, to, len(revs)); err == nil {
			if f < 1 || tt > len(revs) || f >= tt {
				t.Fatalf("changesRange(%q, %q) = %d, %d", from, to, f, tt)
			}
		} else if he := (*httpError)(nil); !errors.As(err, &he) || he.status >= 500 {
			t.Fatalf("changesRange(%q, %q): %v", from, to, err)
		}

		// If-Match: a revision number or a 412/428, and never a 5xx from the
		// store, however large ("2", the latest, saves revision 3).
		if m, err := ifMatch(httptest.NewRequest("PUT", "/", nil)); err == nil || m != 0 {
			t.Fatalf("ifMatch without the header: %d, %v", m, err)
		}
		hreq := httptest.NewRequest("PUT", "/", nil)
		hreq.Header.Set("If-Match", im)
		if m, err := ifMatch(hreq); err == nil && m < 1 {
			t.Fatalf("ifMatch(%q) = %d", im, m)
		}
		req := httptest.NewRequest("PUT", "/api/v1/plans/"+fuzzPlanID, strings.NewReader(string(answers)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+fuzzEditKey)
		req.Header.Set("If-Match", im)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		switch code := env.serve(t, req, "PUT If-Match: "+im).Code; code {
		case http.StatusOK, http.StatusPreconditionFailed, http.StatusPreconditionRequired:
		default:
			t.Fatalf("PUT with If-Match %q: %d", im, code)
		}
	})
}
