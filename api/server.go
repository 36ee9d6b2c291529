package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/parleychat/parley/actors"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/persistence"
)

// minSecretLen is the shortest HS256 secret New accepts. Production start-up
// (cmd/parleyd) insists on 32 bytes; tests may use shorter ones.
const minSecretLen = 16

var errNodeNotReady = errors.New("api: actor node not ready")

// Deps are the services a Server uses. All are required except Now.
type Deps struct {
	Store  persistence.Store   // users, rooms and history reads
	Shared persistence.Shared  // rate limits and token revocation
	Rooms  *cluster.RoomClient // every command and authorization goes to the room grain
	Node   *actors.Node        // this node's actors: WebSocket sessions and readiness
	Log    *slog.Logger
	Secret []byte           // HS256 key of access and refresh tokens
	Now    func() time.Time // nil means time.Now; tests pin it
}

// Server is Parley's HTTP server: the REST API, the WebSocket endpoint and
// health checks on one Fiber app. It is safe for concurrent use.
type Server struct {
	cfg       Config
	store     persistence.Store
	shared    persistence.Shared
	rooms     *cluster.RoomClient
	node      *actors.Node
	log       *slog.Logger
	now       func() time.Time
	tokens    tokens
	dummyHash string // verified when a login names no usable account
	app       *fiber.App
	conns     *connRegistry // open WebSockets, closed first on Shutdown
	wsLimits  *connLimits   // WebSocket connections per user and per IP
	edge      edgePolicy    // allowed origins and hosts, trusted proxies
	ln        atomic.Pointer[onceCloseListener]
	closed    atomic.Bool // Shutdown began: Listen must not start serving

	external *externalVerifier // external ID tokens; nil unless Config.Identity is enabled
	stopKeys func()            // stops the JWKS refresher; Shutdown calls it
}

// New builds the server and its routes; it does not listen yet.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Store == nil || deps.Shared == nil || deps.Rooms == nil || deps.Node == nil || deps.Log == nil {
		return nil, errors.New("api: new server: Store, Shared, Rooms, Node and Log are required")
	}
	if len(deps.Secret) < minSecretLen {
		return nil, fmt.Errorf("api: new server: secret must be at least %d bytes", minSecretLen)
	}
	cfg = cfg.withDefaults()
	edge, err := newEdgePolicy(cfg)
	if err != nil {
		return nil, fmt.Errorf("api: new server: %w", err)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	s := &Server{
		cfg: cfg, store: deps.Store, shared: deps.Shared, rooms: deps.Rooms, node: deps.Node,
		log: deps.Log.With("component", "api"), now: deps.Now,
		tokens:    tokens{secret: append([]byte(nil), deps.Secret...), issuer: cfg.Issuer, now: deps.Now, leeway: cfg.TokenLeeway},
		dummyHash: hashPassword(string(deps.Secret[:8]), cfg.Password), // any password: it never matches a login
		conns:     newConnRegistry(),
		wsLimits:  newConnLimits(cfg.WS),
		edge:      edge,
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "parley",
		StrictRouting:         false, // every route also answers with or without a trailing slash
		CaseSensitive:         true,
		BodyLimit:             cfg.BodyLimit,
		ReadBufferSize:        cfg.ReadBufferSize,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
	})
	s.routes(s.app)
	if err := s.startIdentity(); err != nil {
		return nil, fmt.Errorf("api: new server: %w", err)
	}
	return s, nil
}

// routes registers every route. Fiber matches "/x" and "/x/" alike.
func (s *Server) routes(app *fiber.App) {
	app.Use(s.observe, s.recoverPanic, s.guardEdge, s.cors)
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)

	api := app.Group("/api", s.withTimeout, s.checkCSRF)
	auth := api.Group("/auth", s.issueCSRF)
	auth.Post("/register", s.limitIP(actRegister), s.register)
	auth.Post("/login", s.limitIP(actLogin), s.login)
	auth.Post("/refresh", s.refresh)
	auth.Post("/logout", s.logout)
	auth.Get("/me", s.authed(s.me))

	rooms := api.Group("/chat/rooms")
	rooms.Post("/", s.authed(s.limited(actRoom, s.createRoom)))
	rooms.Get("/", s.authed(s.listRooms))
	rooms.Get("/:room", s.authed(s.roomDetail))
	rooms.Patch("/:room", s.authed(s.updateRoom))
	rooms.Delete("/:room", s.authed(s.deleteRoom))
	rooms.Post("/:room/join", s.authed(s.limited(actJoin, s.join)))
	rooms.Post("/:room/leave", s.authed(s.leave))
	rooms.Post("/:room/send_message", s.authed(s.sendMessage))
	rooms.Get("/:room/messages", s.authed(s.history))
	rooms.Patch("/:room/messages/:seq", s.authed(s.editMessage))
	rooms.Delete("/:room/messages/:seq", s.authed(s.deleteMessage))
	rooms.Get("/:room/members", s.authed(s.listMembers))
	rooms.Post("/:room/members", s.authed(s.addMember))
	rooms.Patch("/:room/members/:user", s.authed(s.setRole))
	rooms.Delete("/:room/members/:user", s.authed(s.removeMember))
	rooms.Post("/:room/members/:user/unban", s.authed(s.unban))
	rooms.Get("/:room/audit", s.authed(s.auditLog))

	s.routesAdmin(api)
	s.routesWS(app)
}

// App returns the Fiber app, for app.Test in tests.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on ln until Shutdown; it returns nil after a clean shutdown,
// also when Shutdown ran first.
func (s *Server) Listen(ln net.Listener) error {
	w := &onceCloseListener{Listener: ln}
	s.ln.Store(w)
	if s.closed.Load() { // Shutdown ran before the listener was stored
		_ = w.Close() // Serve then returns at once; the error is the listener's, already reported
	}
	defer s.startRevocationWatcher()() // closes sockets of sessions revoked on other nodes
	if err := s.app.Listener(w); err != nil {
		return fmt.Errorf("api: serve on %s: %w", ln.Addr(), err)
	}
	return nil
}

// onceCloseListener makes Close idempotent. Shutdown closes the listener
// itself, because fasthttp's Shutdown knows only listeners Serve has already
// registered, and a listener closed twice must not fail fasthttp's Shutdown
// before it waits for in-flight requests.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// Shutdown stops accepting connections, closes WebSockets with a going-away
// code, and waits for in-flight requests until ctx ends (or
// Config.ShutdownTimeout when ctx has no deadline).
func (s *Server) Shutdown(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
		defer cancel()
	}
	s.closed.Store(true)
	s.stopKeys()
	if ln := s.ln.Load(); ln != nil {
		_ = ln.Close() // stop accepting; an error means it was closed already
	}
	wsErr := s.conns.closeAll(ctx)
	if err := s.app.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	if wsErr != nil {
		return fmt.Errorf("api: shutdown: close websockets: %w", wsErr)
	}
	return nil
}
