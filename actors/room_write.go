package actors

import (
	"context"
	"errors"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/cluster/chatpb"
)

// enqueue queues o and starts a write unless one is in flight: whatever queues
// meanwhile goes out as the next batch (group commit).
func (r *room) enqueue(ctx actor.Context, o *op) {
	r.queue = append(r.queue, o)
	r.startWrite(ctx)
}

// startWrite assigns seqs to the queued posts and writes them, with the other
// queued ops in order, off the mailbox goroutine.
func (r *room) startWrite(ctx actor.Context) {
	if len(r.inflight) > 0 || len(r.queue) == 0 {
		return
	}
	n := min(len(r.queue), r.deps.Config.MaxBatch)
	batch := append([]*op(nil), r.queue[:n]...)
	r.queue = append(r.queue[:0], r.queue[n:]...)
	next := r.st.lastSeq
	for _, o := range batch {
		if o.kind == opPost {
			next++
			o.msg.Seq = next
		}
	}
	r.inflight = batch
	self, system, deps, id := ctx.Self(), ctx.ActorSystem(), r.deps, r.id
	go func() {
		system.Root.Send(self, writeBatch(deps, id, batch))
	}()
}

// writeBatch stores the ops in order: runs of posts as one AppendMessages, the
// rest one record at a time. On a conflict it looks up what the store holds for
// the failing run's client ids, so the grain can tell its own stored messages
// from resends of old ones. It runs outside the actor and touches no room state.
func writeBatch(deps Deps, id parley.RoomID, batch []*op) *writeDone {
	ctx, cancel := context.WithTimeout(context.Background(), deps.Config.WriteTimeout)
	defer cancel()
	for i := 0; i < len(batch); {
		j, err := writeOne(ctx, deps, batch, i)
		if err != nil {
			res := &writeDone{done: i, err: err}
			if errors.Is(err, parley.ErrConflict) && batch[i].kind == opPost {
				reconcile(ctx, deps, id, batch[i:j], i, res)
			}
			return res
		}
		i = j
	}
	return &writeDone{done: len(batch)}
}

// writeOne writes batch[i] (and the posts right after it) and returns the index
// of the next op.
func writeOne(ctx context.Context, deps Deps, batch []*op, i int) (int, error) {
	o := batch[i]
	var err error
	switch o.kind {
	case opPost:
		j := i
		msgs := make([]parley.Message, 0, len(batch)-i)
		for ; j < len(batch) && batch[j].kind == opPost; j++ {
			msgs = append(msgs, batch[j].msg)
		}
		return j, deps.Store.AppendMessages(ctx, msgs)
	case opMembers:
		for _, e := range o.members {
			if err = deps.Store.PutMember(ctx, e.rec); err != nil {
				break
			}
		}
	case opMessage:
		err = deps.Store.UpdateMessage(ctx, o.msg)
	case opRoom:
		err = deps.Store.UpdateRoom(ctx, o.room)
	}
	for _, a := range o.audits {
		if err != nil {
			break
		}
		err = deps.Store.AppendAudit(ctx, a)
	}
	return i + 1, err
}

func reconcile(ctx context.Context, deps Deps, id parley.RoomID, run []*op, base int, res *writeDone) {
	res.found = map[int]*parley.Message{}
	for k, o := range run {
		m, err := deps.Store.MessageByClientID(ctx, id, o.msg.SenderID, o.msg.ClientID)
		if err == nil {
			res.found[base+k] = &m
		} else if !errors.Is(err, parley.ErrMessageNotFound) {
			res.err = err // cannot tell what is stored: treat as unavailable
			return
		}
	}
	last, err := deps.Store.LastSeq(ctx, id)
	if err != nil {
		res.err = err
		return
	}
	res.storeLast = last
}

// written handles a finished write: commit what is stored, sort out a conflict,
// fail the rest.
func (r *room) written(ctx actor.Context, res *writeDone) {
	batch := r.inflight
	r.inflight = nil
	for _, o := range batch[:res.done] {
		r.commit(ctx, o)
	}
	rest := batch[res.done:]
	if res.err == nil {
		r.startWrite(ctx)
		return
	}
	if res.found != nil && errors.Is(res.err, parley.ErrConflict) {
		retry, ok := r.resolve(ctx, res, batch)
		if ok {
			r.queue = append(retry, r.queue...)
			r.startWrite(ctx)
			return
		}
		rest = retry
	}
	r.fail(ctx, rest, res.err)
}

// resolve settles a conflicting run of posts: those the store holds with our
// id were written (a non-atomic store kept a prefix); those it holds with
// another id are resends of old messages; the rest are written again. If the
// store's last seq is not ours after that, another activation is writing this
// room: resolve returns false and the caller fails the ops to retry and stops.
func (r *room) resolve(ctx actor.Context, res *writeDone, batch []*op) (retry []*op, ok bool) {
	for i := res.done; i < len(batch); i++ {
		o := batch[i]
		m, found := res.found[i]
		switch {
		case o.kind != opPost || !found:
			retry = append(retry, o)
		case m.ID == o.msg.ID:
			r.commit(ctx, o)
		default:
			r.answerResend(ctx, o, *m)
		}
	}
	if res.storeLast != r.st.lastSeq {
		r.deps.Log.Warn("room written by another activation; reloading", "room", r.id,
			"store_last_seq", res.storeLast, "last_seq", r.st.lastSeq)
		return retry, false
	}
	return retry, true
}

// answerResend answers a post whose client id the store already holds for an
// older message: the first ack, or client_id_reused if the body differs.
func (r *room) answerResend(ctx actor.Context, o *op, first parley.Message) {
	delete(r.pending, dedupeKey{o.msg.SenderID, o.msg.ClientID})
	var err error
	if first.Body != o.msg.Body {
		err = parley.ErrClientIDReused
	} else {
		r.st.remember(first)
	}
	resp := &chatpb.PostResponse{Message: cluster.MessageToPB(first), Duplicate: true}
	for _, w := range o.waiters {
		respond(ctx, w, resp, err)
	}
}

// fail answers every op not yet committed with err (as unavailable unless it is
// a domain error) and stops the grain: its state may no longer match the store,
// and the next request re-activates it from the store.
func (r *room) fail(ctx actor.Context, ops []*op, err error) {
	r.deps.Log.Warn("room write failed", "room", r.id, "ops", len(ops)+len(r.queue), "err", err)
	e := parley.Classify(err)
	if e == parley.ErrInternal || e == parley.ErrConflict {
		e = parley.ErrUnavailable
	}
	for _, o := range append(ops, r.queue...) {
		for _, w := range o.waiters {
			respond(ctx, w, nil, e)
		}
		respond(ctx, o.replyTo, nil, e) // nil for posts: respond skips it
	}
	r.queue, r.pending, r.failErr = nil, map[dedupeKey]*op{}, parley.ErrUnavailable
	r.fanout(ctx, &chatpb.Event{Room: string(r.id), Frame: wsproto.AppendResync(nil, r.id)})
	r.stopping = true
	ctx.Poison(ctx.Self())
}
