package tenant

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestAnswerBudgetIsShared: answers beyond their free part draw on one
// budget; when it is spent the next outsized answer fails at once (it does
// not wait for the others), and closing an answer gives its share back.
func TestAnswerBudgetIsShared(t *testing.T) {
	budget := NewAnswerBudget(3 * budgetChunk)
	body := func(n int) *cappedBody {
		return &cappedBody{rc: io.NopCloser(bytes.NewReader(make([]byte, n))), left: MaxAnswer, free: freeAnswerBytes, budget: budget}
	}
	big := freeAnswerBytes + 2*budgetChunk // takes two chunks
	first := body(big)
	if n, err := io.Copy(io.Discard, first); err != nil || n != int64(big) {
		t.Fatalf("first outsized answer: %d bytes, %v; want all %d", n, err, big)
	}
	second := body(big) // one chunk left: not enough
	if _, err := io.Copy(io.Discard, second); !errors.Is(err, errAnswersAtOnce) || !errors.Is(err, errAnswerTooLong) {
		t.Fatalf("second outsized answer while the first is held: %v, want the budget refused", err)
	}
	small := body(freeAnswerBytes) // a real answer never needs the budget
	if n, err := io.Copy(io.Discard, small); err != nil || n != freeAnswerBytes {
		t.Fatalf("an answer within its free part: %d, %v", n, err)
	}
	first.Close()
	second.Close()
	third := body(big)
	if n, err := io.Copy(io.Discard, third); err != nil || n != int64(big) {
		t.Fatalf("after the others closed: %d bytes, %v; want the budget back", n, err)
	}
	third.Close()
	third.Close() // twice gives back once
	if budget.left != 3*budgetChunk {
		t.Fatalf("budget after all closed: %d, want %d", budget.left, 3*budgetChunk)
	}
}

// TestDelegatedSharesTheProcessBudget: a visitor's checks draw on the
// budget the server gives, so the server's own checks and every signed-in
// visitor's share one bound on Graph answers held at once.
func TestDelegatedSharesTheProcessBudget(t *testing.T) {
	shared := NewAnswerBudget(0)
	d, err := NewDelegated(DelegatedConfig{ClientID: "c", ClientSecret: "s", Answers: shared})
	if err != nil {
		t.Fatal(err)
	}
	if d.answers != shared {
		t.Error("NewDelegated made a budget of its own instead of sharing the one given")
	}
	if d, err = NewDelegated(DelegatedConfig{ClientID: "c", ClientSecret: "s"}); err != nil || d.answers == nil {
		t.Errorf("without a budget given: %v, %v", d, err)
	}
}
