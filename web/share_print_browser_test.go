package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSharePagePrintsLikePrintView: the share page, printed from
// the browser, is the print view on paper: the same number of A4 pages,
// the plan's cover first (not the revisions, downloads and progress above
// it on screen), and no page left near-empty. Northwind, saved through
// the API, is the nine-group fleet TestBrowserPrintPDF prints.
func TestBrowserSharePagePrintsLikePrintView(t *testing.T) {
	exe := e2eRequire(t, "pdf")
	e := newEnv(t, 0)
	data, err := os.ReadFile("../examples/northwind.json")
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "POST", "/api/v1/plans", string(data))
	var c createdPlan
	if err := json.Unmarshal([]byte(r.body), &c); err != nil || r.status != 201 {
		t.Fatalf("save northwind: %d %s", r.status, r.body)
	}
	if err := os.MkdirAll(resultsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t, exe)
	printed := func(path, name string) []string {
		t.Helper()
		b := freshTab(t, browser, e.srv.URL)
		if st := b.open(path); st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		ctx, cancel := context.WithTimeout(b.ctx, actionBudget)
		defer cancel()
		pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground()))
		if err != nil {
			t.Fatalf("%s: print to PDF: %v", path, err)
		}
		file := filepath.Join(resultsDir, name+".pdf")
		if err := os.WriteFile(file, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		return pdfPages(t, file)
	}
	view := printed("/p/"+c.ID+"/print", "print-view-northwind-a4")
	share := printed("/p/"+c.ID, "print-share-page-northwind-a4")
	t.Logf("A4 pages: print view %d, share page %d", len(view), len(share))
	if len(share) != len(view) {
		t.Errorf("the share page prints on %d A4 pages, its print view on %d", len(share), len(view))
	}
	if len(share) == 0 || !strings.Contains(share[0], "INTUNE ENROLLMENT PLAN") || strings.Contains(share[0], "Read-only plan") || strings.Contains(share[0], "Revisions") {
		t.Errorf("the printed share page does not start with the plan's cover; page 1 reads:\n%.600s", first(share))
	}
	for i, p := range share {
		if n := textLines(p); n <= 5 {
			t.Errorf("printed share page %d of %d is near-empty (%d lines):\n%s", i+1, len(share), n, p)
		}
	}
}

// textLines counts a printed page's lines of text, without its page number.
func textLines(page string) int {
	n := 0
	for l := range strings.SplitSeq(page, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Page ") {
			n++
		}
	}
	return n
}

func first(pages []string) string {
	if len(pages) == 0 {
		return ""
	}
	return pages[0]
}
