package actors

import (
	"context"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/cluster/chatpb"
	"github.com/parleychat/parley/persistence"
)

// opKind says what an op writes.
type opKind uint8

const (
	opPost opKind = iota
	opMembers
	opMessage
	opRoom
)

// op is one sequenced command waiting for its write: what to store, whom to
// answer and what to tell the watchers once it is committed.
type op struct {
	kind    opKind
	msg     parley.Message // post, message change
	members []memberEvent  // member change
	room    parley.Room    // room change
	audits  []parley.AuditEntry
	by      parley.UserID
	waiters []*actor.PID // posts: the first sender and any resend that raced it
	replyTo *actor.PID   // everything else
	event   string       // message/room change: wsproto event type
}

func (r *room) post(ctx actor.Context, req *chatpb.PostRequest) {
	if !r.usable(ctx) {
		return
	}
	who := cluster.PrincipalFromPB(req.GetWho())
	clientID, body := req.GetClientId(), req.GetBody()
	dup, err := r.st.checkPost(who, clientID, body)
	switch {
	case err != nil:
		respond(ctx, ctx.Sender(), nil, err)
		return
	case dup != nil:
		respond(ctx, ctx.Sender(), &chatpb.PostResponse{Message: cluster.MessageToPB(*dup), Duplicate: true}, nil)
		return
	}
	key := dedupeKey{who.User, clientID}
	if o, ok := r.pending[key]; ok { // a resend racing its own first write
		if o.msg.Body != body {
			respond(ctx, ctx.Sender(), nil, parley.ErrClientIDReused)
			return
		}
		o.waiters = append(o.waiters, ctx.Sender())
		return
	}
	o := &op{kind: opPost, by: who.User, waiters: []*actor.PID{ctx.Sender()}, msg: parley.Message{
		ID: parley.MessageID(parley.NewID()), RoomID: r.id, SenderID: who.User,
		ClientID: clientID, Body: body, CreatedAt: r.deps.Now().UTC(),
	}}
	r.pending[key] = o
	r.enqueue(ctx, o)
}

func (r *room) member(ctx actor.Context, req *chatpb.MemberRequest) {
	if !r.usable(ctx) {
		return
	}
	who := cluster.PrincipalFromPB(req.GetWho())
	now := r.deps.Now().UTC()
	evs, err := r.st.changeMember(who, req, now)
	if err != nil {
		respond(ctx, ctx.Sender(), nil, err)
		return
	}
	r.st.applyMembers(evs)
	o := &op{kind: opMembers, members: evs, by: who.User, replyTo: ctx.Sender()}
	for _, e := range evs {
		if e.audit != "" {
			o.audits = append(o.audits, r.audit(who.User, e.audit, string(e.rec.UserID), e.rec.Role.String(), req.GetReason(), now))
		}
	}
	r.enqueue(ctx, o)
}

func (r *room) message(ctx actor.Context, req *chatpb.MessageRequest) {
	if !r.usable(ctx) {
		return
	}
	who := cluster.PrincipalFromPB(req.GetWho())
	m, err := r.findMessage(req.GetSeq())
	if err == nil && r.st.info.IsDeleted() {
		err = parley.ErrRoomNotFound
	}
	if err != nil {
		respond(ctx, ctx.Sender(), nil, err)
		return
	}
	edit := req.GetOp() == chatpb.MessageOp_MESSAGE_OP_EDIT
	now := r.deps.Now().UTC()
	changed, err := r.st.checkMessageChange(who, m, edit, req.GetBody(), now)
	if err != nil || changed == m {
		respond(ctx, ctx.Sender(), &chatpb.MessageResponse{Message: cluster.MessageToPB(m.Public())}, err)
		return
	}
	o := &op{kind: opMessage, msg: changed, by: who.User, replyTo: ctx.Sender(), event: "message_edited"}
	if !edit {
		o.event = "message_deleted"
		if m.SenderID != who.User {
			o.audits = append(o.audits, r.audit(who.User, "delete_message", strconv.FormatUint(m.Seq, 10), string(m.SenderID), req.GetReason(), now))
		}
	}
	r.enqueue(ctx, o)
}

// findMessage returns a committed message from the window, or from the store
// when it is older. That read blocks the mailbox; edits of old messages are rare.
func (r *room) findMessage(seq uint64) (parley.Message, error) {
	if m, ok := r.st.fromWindow(seq); ok {
		return m, nil
	}
	if seq == 0 || seq > r.st.lastSeq {
		return parley.Message{}, parley.ErrMessageNotFound
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.deps.Config.LoadTimeout)
	defer cancel()
	return r.deps.Store.MessageBySeq(ctx, r.id, seq)
}

func (r *room) roomOp(ctx actor.Context, req *chatpb.RoomRequest) {
	if !r.usable(ctx) {
		return
	}
	who := cluster.PrincipalFromPB(req.GetWho())
	if req.GetOp() == chatpb.RoomOp_ROOM_OP_ACCESS {
		resp, err := r.access(who, parley.Action(req.GetAction()))
		respond(ctx, ctx.Sender(), resp, err)
		return
	}
	del := req.GetOp() == chatpb.RoomOp_ROOM_OP_DELETE
	patch := parley.RoomPatch{Name: req.Name, Description: req.Description}
	if req.Kind != nil {
		k := parley.RoomKind(req.GetKind())
		patch.Kind = &k
	}
	now := r.deps.Now().UTC()
	changed, err := r.st.changeRoom(who, del, patch, now)
	if err != nil {
		respond(ctx, ctx.Sender(), nil, err)
		return
	}
	r.st.info = changed // later commands see the room as changed; the write follows in order
	o := &op{kind: opRoom, room: changed, by: who.User, replyTo: ctx.Sender(), event: "room_updated"}
	action := "update_room"
	if del {
		o.event, action = "room_deleted", "delete_room"
	}
	o.audits = append(o.audits, r.audit(who.User, action, string(r.id), "", req.GetReason(), now))
	r.enqueue(ctx, o)
}

func (r *room) access(who parley.Principal, act parley.Action) (*chatpb.RoomResponse, error) {
	if err := r.st.authorize(who, act, parley.Target{}); err != nil {
		return nil, err
	}
	resp := &chatpb.RoomResponse{Room: cluster.RoomToPB(r.st.info), LastSeq: r.st.lastSeq}
	if m, ok := r.st.members[who.User]; ok {
		resp.Me = cluster.MemberToPB(m)
	}
	if act == parley.ActRead {
		for _, m := range r.st.members {
			if m.IsActive() {
				resp.Members = append(resp.Members, cluster.MemberToPB(m))
			}
		}
	}
	return resp, nil
}

// subscribe registers the caller's relay and returns the backlog in one step:
// every committed message after since is in the answer or will reach the relay.
func (r *room) subscribe(ctx actor.Context, req *chatpb.SubscribeRequest) {
	if !r.usable(ctx) {
		return
	}
	who := cluster.PrincipalFromPB(req.GetWho())
	if who.User != "" {
		if err := r.st.authorize(who, parley.ActRead, parley.Target{}); err != nil {
			respond(ctx, ctx.Sender(), nil, err)
			return
		}
	} else if r.st.info.IsDeleted() {
		respond(ctx, ctx.Sender(), nil, parley.ErrRoomNotFound)
		return
	}
	rl := req.GetRelay()
	r.watchers[relayKey(rl.GetAddress(), rl.GetId())] = watcher{pid: actor.NewPID(rl.GetAddress(), rl.GetId()), renewed: r.deps.Now()}
	msgs, start := r.st.backlog(req.GetSince(), r.deps.Config.MaxReplay)
	resp := &chatpb.SubscribeResponse{LastSeq: r.st.lastSeq, WindowStart: start}
	for _, m := range msgs {
		resp.Backlog = append(resp.Backlog, cluster.MessageToPB(m.Public()))
	}
	respond(ctx, ctx.Sender(), resp, nil)
}

func (r *room) audit(actor parley.UserID, action, target, detail, reason string, now time.Time) parley.AuditEntry {
	return parley.AuditEntry{ID: parley.NewID(), RoomID: r.id, Actor: actor, Action: action,
		Target: target, Detail: detail, Reason: reason, At: now}
}

func persistenceQuery(id parley.RoomID, limit int) persistence.MessageQuery {
	return persistence.MessageQuery{Room: id, Limit: limit}
}
