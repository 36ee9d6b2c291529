package storetest

import (
	"fmt"
	"time"

	"github.com/parleychat/parley"
)

// auditEntry returns entry n of room, made at clock(n).
func (c *storeCase) auditEntry(room string, n int) parley.AuditEntry {
	return parley.AuditEntry{
		ID:     fmt.Sprintf("%s-a%d", room, n),
		RoomID: parley.RoomID(room),
		Actor:  "alice",
		Action: "set_role",
		Target: fmt.Sprintf("user%d", n),
		Detail: "member->moderator",
		Reason: fmt.Sprintf("reason %d", n),
		At:     c.clock(n),
	}
}

// auditIs fails the test unless Audit(room, before, limit) is want.
func (c *storeCase) auditIs(room string, before time.Time, limit int, want ...parley.AuditEntry) {
	c.t.Helper()
	op := fmt.Sprintf("Audit(%s, %v, %d)", room, before, limit)
	got, err := c.s.Audit(c.ctx, parley.RoomID(room), before, limit)
	c.ok(err, op)
	c.same(op, got, want)
	for _, e := range got {
		c.utc(op, e.At)
	}
}

// testAudit: entries come back newest first, strictly older than before,
// at most limit, and only the room's own.
func testAudit(c *storeCase) {
	c.messageRooms("r1", "r2")
	var r1 []parley.AuditEntry // newest first
	for n := 1; n <= 5; n++ {
		e := c.auditEntry("r1", n)
		c.ok(c.s.AppendAudit(c.ctx, e), "AppendAudit "+e.ID)
		r1 = append([]parley.AuditEntry{e}, r1...)
		other := c.auditEntry("r2", n*10)
		c.ok(c.s.AppendAudit(c.ctx, other), "AppendAudit "+other.ID)
	}
	// Detail and Reason are optional.
	plain := parley.AuditEntry{ID: "r1-plain", RoomID: "r1", Actor: "admin", Action: "delete_room", Target: "r1", At: c.clock(6).Add(321 * time.Millisecond)}
	c.ok(c.s.AppendAudit(c.ctx, plain), "AppendAudit r1-plain")
	r1 = append([]parley.AuditEntry{plain}, r1...)

	c.auditIs("r1", time.Time{}, 10, r1...)
	c.auditIs("r1", time.Time{}, 2, r1[:2]...)
	c.auditIs("r1", c.clock(4), 10, r1[3:]...) // strictly older than 4
	c.auditIs("r1", c.clock(4), 1, r1[3])
	c.auditIs("r1", c.clock(1), 10)
	c.auditIs("r2", time.Time{}, 2, c.auditEntry("r2", 50), c.auditEntry("r2", 40))
	c.auditIs("unknown", time.Time{}, 10)
}

// testAuditWalk: following the At of each page's oldest entry as the next
// before visits every entry once.
func testAuditWalk(c *storeCase) {
	c.messageRooms("r1")
	var want []parley.AuditEntry
	for n := 17; n >= 1; n-- {
		want = append(want, c.auditEntry("r1", n))
	}
	for _, e := range reversed(want) {
		c.ok(c.s.AppendAudit(c.ctx, e), "AppendAudit "+e.ID)
	}
	var walked []parley.AuditEntry
	var before time.Time
	for range 10 {
		page, err := c.s.Audit(c.ctx, "r1", before, 5)
		c.ok(err, "Audit page")
		if len(page) == 0 {
			break
		}
		walked = append(walked, page...)
		before = page[len(page)-1].At
	}
	c.same("audit walked by before", walked, want)
}
