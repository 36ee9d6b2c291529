package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/actors"
	"github.com/parleychat/parley/api"
	"github.com/parleychat/parley/cluster"
	"github.com/parleychat/parley/persistence"
	"github.com/parleychat/parley/persistence/mongostore"
	"github.com/parleychat/parley/persistence/sqlitestore"
)

// openTimeout bounds opening the stores and creating the first admin.
const openTimeout = 30 * time.Second

// cleanups runs what start-up opened, last first.
type cleanups []func() error

func (c *cleanups) add(f func() error) { *c = append(*c, f) }

func (c cleanups) run() error {
	var errs []error
	for i := len(c) - 1; i >= 0; i-- {
		errs = append(errs, c[i]())
	}
	return errors.Join(errs...)
}

// run starts one node and serves until ctx is done, then shuts down: stop
// accepting, close WebSockets with 1001, wait for in-flight requests, flush
// the rooms, leave the cluster, close the stores. ready, if not nil, gets the
// bound HTTP address once requests are served. It returns nil after a clean
// shutdown.
func run(ctx context.Context, cfg config, log *slog.Logger, ready func(addr string)) (err error) {
	var stack cleanups
	defer func() { err = errors.Join(err, stack.run()) }()
	secret, err := loadSecret(cfg, log)
	if err != nil {
		return err
	}
	store, shared, err := openStores(ctx, cfg, log, &stack)
	if err != nil {
		return err
	}
	deps := actors.Deps{Store: store, Log: log, Config: cfg.Actors}
	cl, err := cluster.Start(cluster.Config{Host: cfg.ClusterHost, Port: cfg.ClusterPort}, log, actors.Kinds(deps)...)
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	stack.add(func() error { cl.Stop(); return nil })
	node, err := actors.StartNode(cl, deps)
	if err != nil {
		return fmt.Errorf("start actors: %w", err)
	}
	stack.add(func() error { node.Stop(); return nil }) // flushes room batches before the cluster stops
	srv, err := api.New(cfg.API, api.Deps{
		Store: store, Shared: shared, Rooms: cl.Rooms(), Node: node, Log: log, Secret: secret,
	})
	if err != nil {
		return err
	}
	return serve(ctx, cfg, log, srv, ready)
}

// openStores opens the durable store (SQLite, or MongoDB when configured) and
// the shared state (in process, or Redis when configured), and creates the
// first admin if asked to.
func openStores(ctx context.Context, cfg config, log *slog.Logger, stack *cleanups) (persistence.Store, persistence.Shared, error) {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	stack.add(store.Close)
	shared, err := openShared(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	stack.add(shared.Close)
	if cfg.AdminUsername != "" {
		created, err := api.EnsureAdmin(ctx, store, cfg.AdminUsername, cfg.AdminPassword, time.Now())
		if err != nil {
			return nil, nil, err
		}
		if created {
			log.Info("created platform admin", "username", cfg.AdminUsername)
		}
	}
	return store, shared, nil
}

// openStore opens MongoDB when PARLEY_MONGO_URI is set, else SQLite in the
// data dir. MongoDB must answer at start-up (it creates its indexes then), so
// a wrong URI stops parleyd within seconds, saying what to change.
func openStore(ctx context.Context, cfg config) (persistence.Store, error) {
	if cfg.MongoURI == "" {
		store, err := sqlitestore.Open(ctx, sqlitestore.Config{Dir: cfg.DataDir})
		if err != nil {
			return nil, fmt.Errorf("open store in %s (PARLEY_DATA_DIR): %w", cfg.DataDir, err)
		}
		return store, nil
	}
	store, err := mongostore.Open(ctx, mongostore.Config{URI: cfg.MongoURI, Database: cfg.MongoDB})
	switch {
	case errors.Is(err, parley.ErrUnavailable):
		return nil, fmt.Errorf("PARLEY_MONGO_URI: MongoDB does not answer (%w): check the URI and that MongoDB runs "+
			"and is reachable, or unset it to keep history in SQLite in the data dir", err)
	case err != nil:
		return nil, fmt.Errorf("PARLEY_MONGO_URI: %w", err)
	}
	return store, nil
}

// serve listens on cfg.HTTPAddr until ctx is done, then shuts srv down.
func serve(ctx context.Context, cfg config, log *slog.Logger, srv *api.Server, ready func(string)) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Listen(ln) }()
	addr := ln.Addr().String()
	log.Info("parleyd serving", "addr", addr, "dev", cfg.Dev)
	if ready != nil {
		ready(addr)
	}
	select {
	case <-ctx.Done():
	case err := <-served: // the listener failed on its own
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("parleyd shutting down")
	wait := cfg.ShutdownWait
	if wait <= 0 {
		wait = 15 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	defer cancel()
	err = srv.Shutdown(sctx)
	return errors.Join(err, <-served)
}
