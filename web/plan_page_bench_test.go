package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// benchPlanPage is the load test's plan-page run in process: a draft
// opened from a saved plan with its edit key, then GET /wizard/plan with
// its cookie, as a browser asks (br, gzip).
func benchPlanPage(b *testing.B, cacheBytes int64) {
	h, _ := benchServer(b, cacheBytes)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, benchRequest("POST", "/api/v1/plans", benchAnswers(b, 7)))
	var c createdPlan
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || rec.Code != http.StatusCreated {
		b.Fatalf("create: %d %v", rec.Code, err)
	}
	open := httptest.NewRequest("POST", "/p/"+c.ID+"/edit", strings.NewReader(url.Values{"key": {c.EditKey}}.Encode()))
	open.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	open.RemoteAddr = "127.0.0.1:1234"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, open)
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("open for editing: %d %s", rec.Code, rec.Body)
	}
	cookies := rec.Result().Cookies()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := benchRequest("GET", "/wizard/plan", "")
			r.Header.Set("Accept-Encoding", "br, gzip")
			for _, ck := range cookies {
				r.AddCookie(ck)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
	reportCPU(b, cpu)
}

// BenchmarkPlanPage is the wizard's step 7 for an unchanged draft: served
// from the cache of rendered pages after the first view.
func BenchmarkPlanPage(b *testing.B) { benchPlanPage(b, 0) }

// BenchmarkPlanPageCold is the same page without a cache: every view
// builds the plan, renders the document and compresses it.
func BenchmarkPlanPageCold(b *testing.B) { benchPlanPage(b, -1) }
