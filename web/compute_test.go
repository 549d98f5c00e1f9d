package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestComputeAnswersAreTheirOwn: answers encoded at once into pooled
// buffers each carry their own plan, whole, compressed or not as asked.
func TestComputeAnswersAreTheirOwn(t *testing.T) {
	e := newCacheEnv(t)
	answers := exampleAnswers(t)
	if !strings.Contains(answers, `"Contoso Ltd"`) {
		t.Fatal("the example does not name Contoso Ltd")
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			org := fmt.Sprintf("Org %d", i)
			enc := []string{"", "br", "gzip"}[i%3]
			a := fetch(t, "POST", e.cachedURL+"/api/v1/plan", strings.Replace(answers, `"Contoso Ltd"`, `"`+org+`"`, 1), "Accept-Encoding", enc)
			if a.status != 200 || a.header.Get("Content-Encoding") != enc {
				t.Errorf("%s: %d, Content-Encoding %q, want %q", org, a.status, a.header.Get("Content-Encoding"), enc)
				return
			}
			var p struct {
				Organization string `json:"organization"`
			}
			if err := json.Unmarshal(decoded(t, a), &p); err != nil || p.Organization != org {
				t.Errorf("%s: the answer is another's or broken: %q, %v", org, p.Organization, err)
			}
		})
	}
	wg.Wait()
}
