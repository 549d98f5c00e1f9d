package web

import (
	"testing"
	"time"

	"github.com/enrollplan/enrollplan/internal/store"
)

// TestLiveSharesKeepOnlyWhatNoWriteOvertook: what the store said is
// trusted for the recheck time and no longer; an answer read before a
// write of the same plan through this server is not kept, even when the
// plan's entry was forgotten and made again meanwhile; a revoked plan
// stays revoked; answers that are neither leave nothing behind.
func TestLiveSharesKeepOnlyWhatNoWriteOvertook(t *testing.T) {
	const ttl = 50 * time.Millisecond
	l := newLiveShares(ttl)
	info := store.PlanInfo{ID: "a", Revision: 2}

	asked, w := l.begin("a")
	l.put("a", asked, w, info, 7)
	if got, p, gone, ok := l.get("a"); !ok || gone || got.Revision != 2 || p != 7 {
		t.Fatalf("fresh answer: %+v %d %v %v", got, p, gone, ok)
	}
	time.Sleep(ttl)
	if _, _, _, ok := l.get("a"); ok {
		t.Fatal("an answer older than the recheck time is still trusted")
	}

	// A write between the read and its keeping.
	asked, w = l.begin("a")
	l.forget("a")
	l.put("a", asked, w, info, 7)
	if _, _, _, ok := l.get("a"); ok {
		t.Fatal("an answer read before a write was kept")
	}
	// The same, with the entry forgotten (evicted) and made again between.
	asked, w = l.begin("b")
	l.abandon("b")
	l.forget("b")
	l.begin("b")
	l.put("b", asked, w, store.PlanInfo{ID: "b", Revision: 1}, 0)
	if _, _, _, ok := l.get("b"); ok {
		t.Fatal("an answer read before a write was kept in an entry made again")
	}
	// A write of another plan does not refuse this one's answer.
	asked, w = l.begin("c")
	l.forget("other")
	l.put("c", asked, w, store.PlanInfo{ID: "c", Revision: 1}, 0)
	if _, _, _, ok := l.get("c"); !ok {
		t.Fatal("a write of another plan refused this plan's answer")
	}

	l.revoked("a")
	l.forget("a")
	asked, w = l.begin("a")
	l.put("a", asked, w, info, 7)
	if _, _, gone, ok := l.get("a"); !ok || !gone {
		t.Fatal("a revoked plan came back")
	}

	l.begin("missing")
	l.abandon("missing")
	if _, ok := l.m["missing"]; ok {
		t.Error("an id the store does not know keeps an entry")
	}

	off := newLiveShares(-1)
	asked, w = off.begin("a")
	off.put("a", asked, w, info, 7)
	if _, _, _, ok := off.get("a"); ok || len(off.m) != 0 {
		t.Error("a negative recheck time still keeps answers")
	}
}
