package storetest

import (
	"fmt"

	"github.com/parleychat/parley/persistence"
)

// page returns the seqs of Messages(q), checking each message is the one
// c.message made for that seq.
func (c *storeCase) page(q persistence.MessageQuery) []uint64 {
	c.t.Helper()
	op := fmt.Sprintf("Messages(%+v)", q)
	got, err := c.s.Messages(c.ctx, q)
	c.ok(err, op)
	seqs := make([]uint64, len(got))
	for i, m := range got {
		seqs[i] = m.Seq
		c.same(op+" message", m, c.message(string(q.Room), m.Seq))
	}
	return seqs
}

// seqRange returns from, from-1, ..., to (descending; empty if to > from).
func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s >= to && s > 0; s-- {
		out = append(out, s)
	}
	return out
}

// testMessagesPage: each MessageQuery form selects the documented window,
// always newest first.
func testMessagesPage(c *storeCase) {
	c.messageRooms("r1", "empty")
	c.appendMessages(c.messages("r1", 1, 30)...)
	for _, tc := range []struct {
		before, after uint64
		limit         int
		want          []uint64
	}{
		{0, 0, 5, seqRange(30, 26)},      // newest
		{0, 0, 100, seqRange(30, 1)},     // all
		{10, 0, 3, seqRange(9, 7)},       // before: the newest Limit below it
		{3, 0, 5, seqRange(2, 1)},        // before, short page
		{1, 0, 5, nil},                   // nothing before the first
		{1000, 0, 2, seqRange(30, 29)},   // before past the end
		{31, 0, 1, seqRange(30, 30)},     // before = last+1
		{0, 10, 3, seqRange(13, 11)},     // after: the Limit right after it
		{0, 28, 5, seqRange(30, 29)},     // after, short page
		{0, 30, 5, nil},                  // nothing after the last
		{0, 1000, 5, nil},                // after past the end
		{20, 10, 3, seqRange(19, 17)},    // both: the newest Limit strictly between
		{20, 10, 50, seqRange(19, 11)},   // both, all of them
		{11, 10, 5, nil},                 // both, nothing strictly between
		{10, 20, 5, nil},                 // both, empty window
		{1000, 25, 10, seqRange(30, 26)}, // both, before past the end
	} {
		q := persistence.MessageQuery{Room: "r1", Before: tc.before, After: tc.after, Limit: tc.limit}
		c.same(fmt.Sprintf("Messages(%+v) seqs", q), c.page(q), tc.want)
	}
	for _, q := range []persistence.MessageQuery{
		{Room: "empty", Limit: 10},
		{Room: "empty", Before: 5, Limit: 10},
		{Room: "empty", After: 5, Limit: 10},
		{Room: "unknown", Limit: 10},
	} {
		c.same(fmt.Sprintf("Messages(%+v) seqs", q), c.page(q), []uint64(nil))
	}
}

// testMessagesWalkBackward: following Before cursors (the oldest seq of each
// page) from the newest page visits every message once.
func testMessagesWalkBackward(c *storeCase) {
	c.messageRooms("r1", "r2")
	c.appendMessages(c.messages("r1", 1, 50)...)
	c.appendMessages(c.messages("r2", 1, 10)...)
	var walked []uint64
	q := persistence.MessageQuery{Room: "r1", Limit: 7}
	for range 20 {
		seqs := c.page(q)
		if len(seqs) == 0 {
			break
		}
		walked = append(walked, seqs...)
		q.Before = seqs[len(seqs)-1]
	}
	c.same("seqs walked backwards by Before", walked, seqRange(50, 1))
}

// testMessagesWalkForward: following After cursors (the newest seq of each
// page) from a resume point visits every later message once: the replay of
// "subscribe since N".
func testMessagesWalkForward(c *storeCase) {
	c.messageRooms("r1", "r2")
	c.appendMessages(c.messages("r1", 1, 50)...)
	c.appendMessages(c.messages("r2", 1, 60)...)
	var walked []uint64
	q := persistence.MessageQuery{Room: "r1", After: 3, Limit: 7}
	for range 20 {
		seqs := c.page(q)
		if len(seqs) == 0 {
			break
		}
		walked = append(walked, reversed(seqs)...)
		q.After = seqs[0]
	}
	c.same("seqs walked forwards by After", walked, reversed(seqRange(50, 4)))

	// Between a known window: After and Before together page a gap.
	var gap []uint64
	q = persistence.MessageQuery{Room: "r1", After: 10, Before: 41, Limit: 4}
	for range 20 {
		seqs := c.page(q)
		if len(seqs) == 0 {
			break
		}
		gap = append(gap, seqs...)
		q.Before = seqs[len(seqs)-1]
	}
	c.same("seqs of a gap walked by Before with After fixed", gap, seqRange(40, 11))
}
