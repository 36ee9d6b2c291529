package actors

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/scheduler"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/cluster/chatpb"
	"google.golang.org/protobuf/proto"
)

// room is one room's grain: it sequences messages and membership changes,
// writes them in batches (group commit) without blocking its mailbox on the
// write, acks after commit and fans events out once per watching node.
type room struct {
	deps     Deps
	id       parley.RoomID
	st       *roomState
	failErr  error // activation failed: answer everything with it
	queue    []*op // waiting for the next write
	inflight []*op // being written
	pending  map[dedupeKey]*op
	watchers map[string]watcher // relay PID key -> relay
	lastUse  time.Time
	stopTick scheduler.CancelFunc
	stopping bool
}

type tick struct{}

// watcher is a node's relay watching the room. The relay renews its lease on
// every tick by subscribing again; a lease not renewed for three ticks ends
// (the node left or stopped reading the room). There is no explicit unwatch:
// an unwatch racing a new subscription from the same node could drop it.
type watcher struct {
	pid     *actor.PID
	renewed time.Time
}

// writeDone reports a batch write back to the grain.
type writeDone struct {
	done      int                     // ops fully committed, in order
	err       error                   // why ops[done] failed
	found     map[int]*parley.Message // conflict: what the store holds for that op's client id
	storeLast uint64                  // conflict: the store's last seq
}

func newRoom(deps Deps) actor.Actor {
	return &room{deps: deps, pending: map[dedupeKey]*op{}, watchers: map[string]watcher{}}
}

// Receive dispatches; each case calls one method.
func (r *room) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *protocluster.ClusterInit:
		r.activate(ctx, parley.RoomID(msg.Identity.Identity))
	case *chatpb.PostRequest:
		r.post(ctx, msg)
	case *chatpb.MemberRequest:
		r.member(ctx, msg)
	case *chatpb.MessageRequest:
		r.message(ctx, msg)
	case *chatpb.RoomRequest:
		r.roomOp(ctx, msg)
	case *chatpb.SubscribeRequest:
		r.subscribe(ctx, msg)
	case *chatpb.SignalRequest:
		r.signal(ctx, msg)
	case *writeDone:
		r.written(ctx, msg)
	case tick:
		r.idleCheck(ctx)
	case *actor.Stopping:
		r.stop()
	}
}

// activate loads the room from the store. The mailbox waits for it: there is
// nothing the room could answer before it knows its state.
func (r *room) activate(ctx actor.Context, id parley.RoomID) {
	r.id, r.lastUse = id, r.deps.Now()
	r.stopTick = scheduler.NewTimerScheduler(ctx.ActorSystem().Root).
		SendRepeatedly(r.deps.Config.Tick, r.deps.Config.Tick, ctx.Self(), tick{})
	lctx, cancel := context.WithTimeout(context.Background(), r.deps.Config.LoadTimeout)
	defer cancel()
	st, err := loadRoom(lctx, r.deps, id)
	if err != nil {
		r.failErr = err
		if !errors.Is(err, parley.ErrRoomNotFound) {
			r.deps.Log.Warn("room activation failed", "room", id, "err", err)
		}
		return // answer with failErr until the next tick stops the grain (see idleCheck)
	}
	r.st = st
	r.deps.Log.Debug("room activated", "room", id, "last_seq", st.lastSeq)
}

func loadRoom(ctx context.Context, deps Deps, id parley.RoomID) (*roomState, error) {
	info, err := deps.Store.Room(ctx, id)
	if err != nil {
		return nil, err
	}
	members, err := deps.Store.Members(ctx, id)
	if err != nil {
		return nil, err
	}
	last, err := deps.Store.LastSeq(ctx, id)
	if err != nil {
		return nil, err
	}
	recent, err := deps.Store.Messages(ctx, persistenceQuery(id, deps.Config.Window))
	if err != nil {
		return nil, err
	}
	return newRoomState(info, members, last, recent, deps.Config), nil
}

// usable answers with the activation error when there is one.
func (r *room) usable(ctx actor.Context) bool {
	r.lastUse = r.deps.Now()
	if r.failErr != nil || r.st == nil {
		err := r.failErr
		if err == nil {
			err = parley.ErrUnavailable
		}
		respond(ctx, ctx.Sender(), nil, err)
		return false
	}
	return true
}

// idleCheck passivates a room nobody uses: no traffic, no write, no watcher.
// A periodic check instead of SetReceiveTimeout, whose timer races in this
// protoactor-go version. A grain whose activation failed stops here too, so
// the next request activates it afresh: stopping at once instead would send
// requests already on their way to dead letters, and the caller's retries
// would meet the same fate.
func (r *room) idleCheck(ctx actor.Context) {
	if r.failErr != nil && !r.stopping {
		r.stopping = true
		ctx.Poison(ctx.Self())
		return
	}
	now := r.deps.Now()
	for k, w := range r.watchers {
		if now.Sub(w.renewed) > 3*r.deps.Config.Tick {
			delete(r.watchers, k)
		}
	}
	if r.st == nil || len(r.queue)+len(r.inflight)+len(r.watchers) > 0 || r.stopping {
		return
	}
	if now.Sub(r.lastUse) >= r.deps.Config.IdleTimeout {
		r.stopping = true
		r.deps.Log.Debug("room passivated", "room", r.id)
		ctx.Poison(ctx.Self())
	}
}

func (r *room) stop() {
	if r.stopTick != nil {
		r.stopTick()
	}
}

// respond sends resp, or err encoded as its stable code, to pid.
func respond(ctx actor.Context, pid *actor.PID, resp proto.Message, err error) {
	if pid == nil {
		return
	}
	if err != nil {
		e := parley.Classify(err)
		ctx.Send(pid, protocluster.NewGrainErrorResponse(e.Code, e.Error()))
		return
	}
	ctx.Send(pid, resp)
}

func relayKey(address, id string) string { return address + "/" + id }
