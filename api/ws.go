package api

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/actors"
	"github.com/parleychat/parley/api/wsproto"
	"github.com/parleychat/parley/cluster/chatpb"
)

// localPrincipal is the Locals key of the handshake's principal (contrib/websocket
// copies Locals by string key into the connection).
const localPrincipal = "parley.principal"

// localCredential is the Locals key of the request's or handshake's
// credential: the principal, its token's expiry and its login session.
const localCredential = "parley.credential"

// routesWS registers GET /ws: authenticate at the handshake, then upgrade.
func (s *Server) routesWS(app *fiber.App) {
	cfg := s.cfg.WS
	app.Post("/api/chat/ws-ticket", s.withTimeout, s.authed(s.issueTicket))
	app.Get("/api/chat/rooms/:room/presence", s.withTimeout, s.authed(s.presence))
	app.Use("/ws", s.wsHandshake)
	app.Get("/ws", websocket.New(s.serveWS, websocket.Config{
		HandshakeTimeout:  cfg.HandshakeTimeout,
		ReadBufferSize:    4 << 10,
		WriteBufferSize:   4 << 10,
		EnableCompression: false, // no permessage-deflate: no decompression bombs, no Safari framing bugs
		RecoverHandler:    s.wsRecover,
	}))
}

// wsHandshake refuses anything but an authenticated WebSocket upgrade from an
// allowed origin (see checkWSOrigin), within the connection limits, before
// the upgrade, with a problem JSON answer. Credentials: a one-time ?ticket=,
// or an access token (Authorization header or cookie).
func (s *Server) wsHandshake(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return fiber.ErrUpgradeRequired
	}
	if err := s.checkWSOrigin(c); err != nil {
		return err
	}
	cred, err := s.wsCredential(c)
	if err != nil {
		return err
	}
	p := cred.Principal
	c.Locals(localPrincipal, p)
	c.Locals(localCredential, cred)
	return s.admitWS(c, p)
}

// wsRecover keeps a panic in a connection's handling from taking the process
// down, and never shows the panic to the client.
func (s *Server) wsRecover(conn *websocket.Conn) {
	if r := recover(); r != nil {
		s.log.Error("websocket handler panicked", "panic", r)
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(wsproto.CloseInternalError, "internal error"), time.Now().Add(time.Second))
	}
}

// wsConn is one open WebSocket: a read loop (the handler's goroutine), an
// outbox whose writer exists only while there is something to send, and a
// ping timer (no goroutine while idle).
type wsConn struct {
	s         *Server
	conn      *websocket.Conn
	who       parley.Principal
	id        parley.ConnID
	out       *outbox
	session   *actors.Session
	closeOnce sync.Once
	pinger    *time.Timer
	ctx       context.Context // cancelled when the handler returns: ends in-flight calls
	cancel    context.CancelFunc
	limiter   frameLimiter // the send rate; read loop only
	typing    bucket       // typing signals; read loop only

	// mu guards ended: once the handler returns, the library reuses conn, so
	// nothing (a ping timer, a close from shutdown or a slow-consumer verdict)
	// may touch it. Held only around control writes with a short deadline.
	mu    sync.Mutex
	ended bool

	cred    credential  // the handshake's: the socket closes at its expiry or revocation
	closing atomic.Bool // revoked or expired: frames that still arrive are dropped
}

func (s *Server) serveWS(conn *websocket.Conn) {
	who, _ := conn.Locals(localPrincipal).(parley.Principal)
	cfg := s.cfg.WS
	c := &wsConn{s: s, conn: conn, who: who, id: parley.ConnID(parley.NewID()),
		limiter: newFrameLimiter(cfg.FrameRate), typing: newBucket(cfg.TypingRate)}
	c.cred, _ = conn.Locals(localCredential).(credential)
	slot, ok := claimSlot(conn)
	defer slot.release()
	if !ok { // the handshake's slot expired before the socket started
		c.closeWith(wsproto.CloseTryAgainLater, "handshake expired")
		return
	}
	c.ctx, c.cancel = context.WithCancel(context.Background()) // a connection outlives any request context
	defer c.cancel()
	c.out = newOutbox(cfg.OutboxFrames, cfg.OutboxBytes, c.writeFrame, func() {
		s.log.Warn("websocket slow consumer closed", "conn", c.id, "user", who.User)
		c.closeWith(wsproto.CloseSlowConsumer, "slow consumer: reconnect and resume")
	})
	c.session = s.node.OpenSession(c.id, who, c.out)
	if !s.conns.add(c) {
		c.closeWith(wsproto.CloseGoingAway, "server shutting down")
		return
	}
	defer c.guard()() // token expiry; a revocation between handshake and registration
	defer func() {
		rooms := c.session.Rooms()
		c.session.Close()
		ctx, cancel := context.WithTimeout(context.Background(), cfg.WriteTimeout)
		for _, room := range rooms {
			c.depart(ctx, room)
		}
		cancel()
		c.out.Close() // waits for the writer
		c.mu.Lock()
		c.ended = true // no control write after this: nothing touches conn after we return
		c.mu.Unlock()
		c.pinger.Stop()
		s.conns.remove(c)
	}()
	conn.SetReadLimit(int64(cfg.MaxFrame))
	_ = conn.SetReadDeadline(time.Now().Add(cfg.IdleTimeout))
	conn.SetPongHandler(func(string) error {
		if c.closing.Load() {
			return nil // closing: pongs must not hold the socket open
		}
		return conn.SetReadDeadline(time.Now().Add(cfg.IdleTimeout))
	})
	c.pinger = time.AfterFunc(cfg.PingInterval, c.ping)
	c.readLoop()
}

func (c *wsConn) readLoop() {
	cfg := c.s.cfg.WS
	for {
		mt, data, err := c.conn.ReadMessage()
		if err != nil {
			return // closed, timed out, or over the read limit (the library sent 1009)
		}
		if c.closing.Load() {
			continue // revoked or expired: read until the close handshake ends, act on nothing
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(cfg.IdleTimeout))
		if mt != websocket.TextMessage {
			c.closeWith(wsproto.CloseUnsupportedData, "text frames only")
			return
		}
		if !utf8.Valid(data) {
			c.closeWith(wsproto.CloseInvalidData, "frames must be UTF-8")
			return
		}
		if !c.handle(data) {
			return
		}
	}
}

// handle answers one client frame; false means the connection was closed.
func (c *wsConn) handle(data []byte) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.s.log.Error("websocket frame handling panicked", "conn", c.id, "panic", r)
			c.closeWith(wsproto.CloseInternalError, "internal error")
			ok = false
		}
	}()
	f, err := wsproto.DecodeClient(data)
	if limited, ok := c.limitFrame(f.ID); limited {
		return ok
	}
	if err != nil {
		return c.fail(f.ID, err)
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.RequestTimeout)
	defer cancel()
	room := parley.RoomID(f.Room)
	switch f.Type {
	case wsproto.TypePing:
		c.out.Push(wsproto.AppendPong(nil, f.ID))
	case wsproto.TypeSubscribe:
		if err := c.session.Subscribe(ctx, f.ID, room, f.Since); err != nil {
			return c.fail(f.ID, err)
		}
		c.arrive(ctx, room)
	case wsproto.TypeUnsubscribe:
		if c.session.Unsubscribe(room) {
			c.depart(ctx, room)
		}
		c.out.Push(wsproto.AppendReply(nil, wsproto.Reply{ID: f.ID}))
	case wsproto.TypeTyping:
		if !c.typing.allow(time.Now()) {
			break // typing is a hint: extra signals are dropped, not answered
		}
		if err := c.s.rooms.Signal(ctx, room, c.who, chatpb.SignalKind_SIGNAL_KIND_TYPING); err != nil {
			return c.fail(f.ID, err)
		}
	case wsproto.TypeSend:
		m, err := c.send(ctx, room, f)
		if err != nil {
			return c.fail(f.ID, err)
		}
		c.out.Push(wsproto.AppendReply(nil, wsproto.Reply{ID: f.ID, Message: &m}))
	}
	return true
}

// send validates and posts a message. Sends of one connection are handled one
// after another, so one sender's messages keep their order.
func (c *wsConn) send(ctx context.Context, room parley.RoomID, f wsproto.ClientFrame) (parley.Message, error) {
	body, err := parley.CleanBody(f.Body)
	if err != nil {
		return parley.Message{}, err
	}
	if err := c.s.limit(ctx, actSend, c.who.User, c.conn.IP()); err != nil {
		return parley.Message{}, err
	}
	clientID := f.ClientID
	if clientID == "" {
		clientID = parley.NewID()
	}
	m, _, err := c.s.rooms.Post(ctx, room, c.who, clientID, body)
	return m, err
}

// fail answers a frame with an error frame, or closes the connection when the
// error calls for it (see errorTable). It returns false when it closed.
func (c *wsConn) fail(id uint64, err error) bool {
	e := parley.Classify(err)
	if e == parley.ErrInternal {
		c.s.log.LogAttrs(c.ctx, slog.LevelError, "websocket frame failed",
			slog.String("conn", string(c.id)), slog.Any("err", err))
	}
	var field string
	var fe *parley.FieldError
	if errors.As(err, &fe) {
		field = fe.Field
	}
	c.out.Push(wsproto.AppendError(nil, id, e.Code, problemFor(err).Title, field))
	if code := closeCodeOf(err); code != 0 {
		// Close after the error frame is written. Keep reading meanwhile (and
		// ignore what arrives) so the client's close echo ends the loop.
		c.closing.Store(true)
		c.out.Then(func() { c.closeWith(code, e.Code) })
	}
	return true
}

// writeFrame is the outbox's only way to the socket.
func (c *wsConn) writeFrame(frame []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.cfg.WS.WriteTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, frame)
}

// ping sends a ping and re-arms itself; a client that stops answering runs
// into the read deadline.
func (c *wsConn) ping() {
	if c.control(websocket.PingMessage, nil, c.s.cfg.WS.WriteTimeout) {
		c.renewPresence()
		c.pinger.Reset(c.s.cfg.WS.PingInterval)
	}
}

// control writes a control frame unless the handler has returned; false when
// it did not write.
func (c *wsConn) control(kind int, data []byte, timeout time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return false
	}
	return c.conn.WriteControl(kind, data, time.Now().Add(timeout)) == nil
}

// closeWith sends a close frame with code and reason, then closes the socket
// so the read loop ends. Safe to call from any goroutine, any number of times.
func (c *wsConn) closeWith(code int, reason string) {
	c.closeOnce.Do(func() {
		c.control(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Second)
		c.mu.Lock()
		if !c.ended {
			_ = c.conn.SetReadDeadline(time.Now().Add(time.Second)) // let the client's echo arrive, then stop reading
		}
		c.mu.Unlock()
	})
}
