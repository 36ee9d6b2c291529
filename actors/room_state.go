package actors

import (
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/api/wsproto"
)

// roomState is everything a room grain knows, and the rules that change it. It
// takes no actor.Context, so the rules are tested without an actor system.
type roomState struct {
	info    parley.Room
	members map[parley.UserID]parley.Member // every record, departed and banned too
	lastSeq uint64                          // highest committed seq
	window  ring                            // committed recent messages, ascending seq
	acks    map[dedupeKey]parley.Message    // committed posts by client id
	ackFIFO []dedupeKey                     // eviction order of acks
	ackCap  int
}

type dedupeKey struct {
	sender   parley.UserID
	clientID string
}

func newRoomState(info parley.Room, members []parley.Member, lastSeq uint64, recent []parley.Message, cfg Config) *roomState {
	s := &roomState{
		info: info, members: make(map[parley.UserID]parley.Member, len(members)), lastSeq: lastSeq,
		window: newRing(cfg.Window), acks: make(map[dedupeKey]parley.Message), ackCap: cfg.DedupeEntries,
	}
	for _, m := range members {
		s.members[m.UserID] = m
	}
	for i := len(recent) - 1; i >= 0; i-- { // the store returns newest first
		s.remember(recent[i])
	}
	return s
}

// standing is what the room knows of p.
func (s *roomState) standing(p parley.Principal) parley.Standing {
	m, ok := s.members[p.User]
	switch {
	case !ok:
		return parley.Standing{}
	case m.Banned:
		return parley.Standing{Banned: true}
	case !m.IsActive():
		return parley.Standing{}
	}
	return parley.Standing{Role: m.Role}
}

// authorize applies the policy, hiding deleted rooms entirely.
func (s *roomState) authorize(p parley.Principal, act parley.Action, t parley.Target) error {
	if s.info.IsDeleted() {
		return parley.ErrRoomNotFound
	}
	return parley.Authorize(p, s.info.Kind, s.standing(p), act, t)
}

// role returns u's current role, RoleNone unless an active member.
func (s *roomState) role(u parley.UserID) parley.Role {
	if m, ok := s.members[u]; ok && m.IsActive() {
		return m.Role
	}
	return parley.RoleNone
}

// checkPost authorizes a post and looks for an earlier message with the same
// client id. It returns the earlier message (dup) or an error.
func (s *roomState) checkPost(p parley.Principal, clientID, body string) (dup *parley.Message, err error) {
	if err := s.authorize(p, parley.ActPost, parley.Target{}); err != nil {
		return nil, err
	}
	if m, ok := s.acks[dedupeKey{p.User, clientID}]; ok {
		if m.Body != body {
			return nil, parley.ErrClientIDReused
		}
		return &m, nil
	}
	return nil, nil
}

// remember records a committed message in the window and the dedupe table.
func (s *roomState) remember(m parley.Message) {
	if m.Seq > s.lastSeq {
		s.lastSeq = m.Seq
	}
	if s.window.n == 0 || s.window.newest().Seq < m.Seq {
		s.window.push(m)
	}
	if m.ClientID == "" {
		return
	}
	k := dedupeKey{m.SenderID, m.ClientID}
	if _, ok := s.acks[k]; !ok {
		if len(s.ackFIFO) >= s.ackCap {
			delete(s.acks, s.ackFIFO[0])
			s.ackFIFO = s.ackFIFO[1:]
		}
		s.ackFIFO = append(s.ackFIFO, k)
	}
	s.acks[k] = m
}

// replace updates a committed message in the window after an edit or delete.
func (s *roomState) replace(m parley.Message) {
	if p := s.window.find(m.Seq); p != nil {
		*p = m
	}
}

// fromWindow returns the committed message seq if the window holds it.
func (s *roomState) fromWindow(seq uint64) (parley.Message, bool) {
	if p := s.window.find(seq); p != nil {
		return *p, true
	}
	return parley.Message{}, false
}

// backlog returns the committed messages after since that the window holds, and
// the seq after which the window starts (older ones come from the store).
func (s *roomState) backlog(since uint64, limit int) (msgs []parley.Message, windowStart uint64) {
	windowStart = s.lastSeq
	if s.window.n > 0 {
		windowStart = s.window.oldest().Seq - 1
	}
	from := max(since, windowStart)
	if from >= s.lastSeq {
		return nil, windowStart
	}
	count := min(int(s.lastSeq-from), limit)
	msgs = make([]parley.Message, 0, count)
	for seq := s.lastSeq - uint64(count) + 1; seq <= s.lastSeq; seq++ {
		msgs = append(msgs, *s.window.find(seq))
	}
	return msgs, windowStart
}

// checkMessageChange authorizes p to edit or delete m and returns the changed message.
func (s *roomState) checkMessageChange(p parley.Principal, m parley.Message, edit bool, body string, now time.Time) (parley.Message, error) {
	act := parley.ActDeleteMessage
	if edit {
		act = parley.ActEditMessage
	}
	if err := s.authorize(p, act, parley.Target{Author: m.SenderID}); err != nil {
		return m, err
	}
	switch {
	case m.IsDeleted() && edit:
		return m, parley.ErrMessageNotFound
	case m.IsDeleted():
		return m, nil // deleting twice changes nothing
	case edit:
		m.Body, m.EditedAt = body, now
	default:
		m.DeletedAt, m.DeletedBy = now, p.User
	}
	return m, nil
}

// memberEvent pairs a membership record to store with its client event.
type memberEvent struct {
	rec   parley.Member
	typ   string // wsproto event type; "" for none
	why   string // member_left reason
	drop  bool   // unsubscribe the user after delivering
	audit string // the audit action name; "" for none
}

// changeRoom authorizes and applies a patch or deletion to a copy of the room.
func (s *roomState) changeRoom(p parley.Principal, del bool, patch parley.RoomPatch, now time.Time) (parley.Room, error) {
	act := parley.ActUpdateRoom
	if del {
		act = parley.ActDeleteRoom
	}
	if err := s.authorize(p, act, parley.Target{}); err != nil {
		return s.info, err
	}
	r := s.info
	if del {
		r.DeletedAt, r.DeletedBy = now, p.User
		return r, nil
	}
	if patch.Name != nil {
		r.Name = *patch.Name
	}
	if patch.Description != nil {
		r.Description = *patch.Description
	}
	if patch.Kind != nil {
		r.Kind = *patch.Kind
	}
	r.UpdatedAt = now
	return r, nil
}

// memberFrame encodes the client event of a membership change.
func memberFrame(e memberEvent, by parley.UserID, atSeq uint64) []byte {
	return wsproto.AppendMemberEvent(nil, e.typ, wsproto.MemberChange{
		Room: e.rec.RoomID, User: e.rec.UserID, By: by, Role: e.rec.Role, Reason: e.why, Seq: atSeq,
	})
}
