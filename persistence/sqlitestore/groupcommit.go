package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleychat/parley"
)

// Group commit across callers. Each room actor appends its own small batches,
// so with many busy rooms the store sees many concurrent AppendMessages calls.
// A transaction per call would cost an fsync per call; instead one committer
// goroutine takes every call queued, writes each inside its own SAVEPOINT of
// one shared transaction and commits them all with one fsync.

// maxGroupCalls and maxGroupMessages bound one shared transaction, so that a
// burst holds the write connection (and so every other write) only briefly.
// The first call of a group is taken whatever its size.
const (
	maxGroupCalls    = 64
	maxGroupMessages = 4096
)

// States of an appendCall: a queued call is either claimed by the committer
// or withdrawn by its caller, never both.
const (
	callQueued int32 = iota
	callClaimed
	callWithdrawn
)

// errClosed answers the calls still queued when the store closes.
var errClosed = fmt.Errorf("sqlitestore: append: store closed: %w", parley.ErrUnavailable)

// appendCall is one AppendMessages call on its way through the committer.
type appendCall struct {
	ctx   context.Context
	msgs  []parley.Message // one room's, ascending seq; read only
	state atomic.Int32
	err   error         // the outcome, written by the committer before it closes done
	done  chan struct{} // closed once err is final
}

// answer sets c's outcome and wakes its caller. Only the committer calls it,
// once per claimed call.
func (c *appendCall) answer(err error) {
	c.err = err
	close(c.done)
}

// appender is the committer of AppendMessages: one goroutine, started by
// startAppender and ended by stop, that owns the appends' use of the write
// connection. Other writes take that connection directly between its groups;
// database/sql hands the one connection to one user at a time.
type appender struct {
	w      *sql.DB
	insert *sql.Stmt // on w
	// ctx is never cancelled: cancelling a running statement interrupts it,
	// and an interrupted INSERT rolls back the whole shared transaction. A
	// caller's context bounds only its wait in the queue.
	ctx   context.Context
	group []*appendCall // the group being written; only the committer uses it
	done  chan struct{} // closed when run returns

	mu     sync.Mutex
	ready  sync.Cond     // on mu: queue grew or closed was set
	queue  []*appendCall // in arrival order; may hold withdrawn calls
	closed bool          // no more calls are accepted
}

// startAppender starts the committer of appends through insert, a statement
// prepared on w. ctx supplies values only; it may be cancelled later.
func startAppender(ctx context.Context, w *sql.DB, insert *sql.Stmt) *appender {
	a := &appender{w: w, insert: insert, ctx: context.WithoutCancel(ctx), done: make(chan struct{})}
	a.ready.L = &a.mu
	go a.run()
	return a
}

// append queues msgs and waits for their outcome. A caller whose ctx ends
// while it is queued withdraws, and nothing of it is written. Once the
// committer has claimed the call, its caller waits for the commit (one
// transaction, a few milliseconds) so that the answer is never a guess.
func (a *appender) append(ctx context.Context, msgs []parley.Message) error {
	c := &appendCall{ctx: ctx, msgs: msgs, done: make(chan struct{})}
	if !a.enqueue(c) {
		return errClosed
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		if c.state.CompareAndSwap(callQueued, callWithdrawn) {
			return fail(ctx, ctx.Err(), nil, "append %s/%d: queued", msgs[0].RoomID, msgs[0].Seq)
		}
		<-c.done
		return c.err
	}
}

// enqueue adds c to the queue and wakes the committer. It returns false once
// the appender is stopped.
func (a *appender) enqueue(c *appendCall) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.queue = append(a.queue, c)
	a.ready.Signal()
	return true
}

// stop lets the group being written finish, answers the calls still queued
// with errClosed and waits for the committer to return.
func (a *appender) stop() {
	a.mu.Lock()
	a.closed = true
	a.ready.Signal()
	a.mu.Unlock()
	<-a.done
}

// isClosed reports whether stop was called.
func (a *appender) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// run commits groups until the appender stops, then fails what is left.
func (a *appender) run() {
	defer close(a.done)
	for a.waitWork() {
		a.commitGroup()
	}
	for a.take(); len(a.group) > 0; a.take() {
		for _, c := range a.group {
			c.answer(errClosed)
		}
	}
}

// waitWork waits until a call is queued or the appender stops; false means
// stopped. It never waits for a second call: a lone caller is written at once.
func (a *appender) waitWork() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.queue) == 0 && !a.closed {
		a.ready.Wait()
	}
	return !a.closed
}

// take claims the next group into a.group: the queued calls in arrival order,
// up to maxGroupCalls and maxGroupMessages, dropping withdrawn ones.
func (a *appender) take() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.group)
	a.group = a.group[:0]
	n, msgs := 0, 0
	for ; n < len(a.queue) && len(a.group) < maxGroupCalls; n++ {
		c := a.queue[n]
		if len(a.group) > 0 && msgs+len(c.msgs) > maxGroupMessages {
			break
		}
		if c.state.CompareAndSwap(callQueued, callClaimed) {
			a.group = append(a.group, c)
			msgs += len(c.msgs)
		}
	}
	rest := copy(a.queue, a.queue[n:])
	clear(a.queue[rest:]) // let answered calls be collected
	a.queue = a.queue[:rest]
}

// commitGroup writes one group in one transaction. The group is claimed only
// once the write lock is held: while the committer waits for it, callers may
// still withdraw and more calls join.
func (a *appender) commitGroup() {
	tx, err := a.w.BeginTx(a.ctx, nil)
	if err == nil && a.isClosed() {
		rollback(tx)
		return // run answers the queue with errClosed
	}
	a.take()
	if err != nil {
		a.answerAll(a.group, err, "begin")
		return
	}
	defer rollback(tx)
	pending, err := a.writeGroup(tx)
	if err != nil {
		a.answerAll(pending, err, "")
		return
	}
	if err := tx.Commit(); err != nil {
		a.answerAll(pending, err, "commit")
		return
	}
	a.answerAll(pending, nil, "")
}

// writeGroup writes each call of a.group in its own savepoint and returns the
// calls whose messages await the commit. A call whose context is done, or
// whose messages violate a constraint, is answered at once and left out. On
// an error that breaks the transaction, it returns that error and every call
// not yet answered, none of which is stored.
func (a *appender) writeGroup(tx *sql.Tx) (pending []*appendCall, err error) {
	insert := tx.StmtContext(a.ctx, a.insert)
	pending = make([]*appendCall, 0, len(a.group))
	for i, c := range a.group {
		if err := c.ctx.Err(); err != nil {
			c.answer(fail(c.ctx, err, nil, "append %s/%d", c.msgs[0].RoomID, c.msgs[0].Seq))
			continue
		}
		stored, err := a.writeCall(tx, insert, c)
		if err != nil {
			return append(pending, a.group[i:]...), err
		}
		if stored {
			pending = append(pending, c)
		}
	}
	return pending, nil
}

// writeCall inserts c's messages inside a savepoint and reports whether they
// are in the transaction. A constraint violation (a taken seq or client id, a
// missing room) concerns c alone: writeCall rolls back to the savepoint,
// answers c and returns false. Any other error means the transaction cannot
// go on; writeCall returns it and leaves c unanswered.
func (a *appender) writeCall(tx *sql.Tx, insert *sql.Stmt, c *appendCall) (bool, error) {
	if _, err := tx.ExecContext(a.ctx, "SAVEPOINT append"); err != nil {
		return false, err
	}
	for i := range c.msgs {
		m := &c.msgs[i]
		_, err := insert.ExecContext(a.ctx, string(m.RoomID), int64(m.Seq), string(m.ID), string(m.SenderID),
			m.ClientID, m.Body, millis(m.CreatedAt), millis(m.EditedAt), millis(m.DeletedAt), string(m.DeletedBy))
		if err == nil {
			continue
		}
		if !isConstraint(err) {
			return false, err
		}
		if _, rerr := tx.ExecContext(a.ctx, "ROLLBACK TO append; RELEASE append"); rerr != nil {
			return false, rerr
		}
		c.answer(fail(a.ctx, err, nil, "append %s/%d", m.RoomID, m.Seq))
		return false, nil
	}
	_, err := tx.ExecContext(a.ctx, "RELEASE append")
	return err == nil, err
}

// answerAll answers each call with err translated and named after the call,
// stage ("begin", "commit") added if not empty, or with nil.
func (a *appender) answerAll(calls []*appendCall, err error, stage string) {
	for _, c := range calls {
		if err == nil {
			c.answer(nil)
			continue
		}
		first, last := c.msgs[0], c.msgs[len(c.msgs)-1]
		op := fmt.Sprintf("append %s/%d..%d", first.RoomID, first.Seq, last.Seq)
		if stage != "" {
			op += ": " + stage
		}
		c.answer(fail(a.ctx, err, nil, "%s", op))
	}
}

// isConstraint reports whether err is SQLite's verdict that a statement broke
// a constraint; SQLite then undoes that statement only, and the transaction
// goes on.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
