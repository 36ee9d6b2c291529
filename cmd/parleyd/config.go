package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/parleychat/parley/actors"
	"github.com/parleychat/parley/api"
)

// minSecretLen is the shortest secret accepted outside dev mode: 256 bits,
// the size of an HS256 key.
const minSecretLen = 32

// config is everything parleyd reads from flags and the environment. Each
// setting has a flag and a PARLEY_* variable (plus the seed module's name
// where one existed); a flag given on the command line wins.
type config struct {
	HTTPAddr      string     // -http-addr, PARLEY_HTTP_ADDR; default 127.0.0.1:8080
	DataDir       string     // -data-dir, PARLEY_DATA_DIR; default ./data
	Secret        []byte     // PARLEY_SECRET_KEY or SECRET_KEY (environment only); empty: <data dir>/secret.key
	LogLevel      slog.Level // -log-level, PARLEY_LOG_LEVEL: debug, info, warn, error; default info
	Dev           bool       // -dev, PARLEY_DEV or DEBUG: text logs, cookies without Secure, short secrets allowed
	AdminUsername string     // PARLEY_ADMIN_USERNAME: a platform admin created at start if absent
	AdminPassword string     // PARLEY_ADMIN_PASSWORD (environment only)
	RedisURL      string     // -redis-url, PARLEY_REDIS_URL or REDIS_URL: shared state in Redis instead of in process
	MongoURI      string     // -mongo-uri, PARLEY_MONGO_URI: history in MongoDB instead of SQLite
	MongoDB       string     // -mongo-db, PARLEY_MONGO_DB; default parley
	LimitFallback string     // -limit-fallback, PARLEY_LIMIT_FALLBACK: limitsLocal (default) or limitsClosed
	ClusterHost   string     // -cluster-host, PARLEY_CLUSTER_HOST: the actor remote's bind address; default 127.0.0.1
	ClusterPort   int        // -cluster-port, PARLEY_CLUSTER_PORT: default 0, a free port
	ShutdownWait  time.Duration
	API           api.Config
	Actors        actors.Config // MaxSubscriptions from -ws-max-subscriptions; the rest defaults
}

// parseConfig reads args (without the program name) and the environment
// through getenv. It returns flag.ErrHelp after printing usage for -h.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	var c config
	env := func(def string, names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return def
	}
	fs := flag.NewFlagSet("parleyd", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&c.HTTPAddr, "http-addr", env("127.0.0.1:8080", "PARLEY_HTTP_ADDR"), "HTTP listen address (PARLEY_HTTP_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("./data", "PARLEY_DATA_DIR"), "data directory: SQLite database and generated secret (PARLEY_DATA_DIR)")
	level := fs.String("log-level", env("info", "PARLEY_LOG_LEVEL"), "debug, info, warn or error (PARLEY_LOG_LEVEL)")
	dev := fs.String("dev", env("false", "PARLEY_DEV", "DEBUG"), "development mode: text logs, non-Secure cookies (PARLEY_DEV, DEBUG)")
	fs.StringVar(&c.RedisURL, "redis-url", env("", "PARLEY_REDIS_URL", "REDIS_URL"), "redis:// URL of shared state; empty keeps it in process (PARLEY_REDIS_URL, REDIS_URL)")
	fs.StringVar(&c.MongoURI, "mongo-uri", env("", "PARLEY_MONGO_URI"), "MongoDB URI of the store; empty uses SQLite in the data dir (PARLEY_MONGO_URI)")
	fs.StringVar(&c.MongoDB, "mongo-db", env("parley", "PARLEY_MONGO_DB"), "MongoDB database name (PARLEY_MONGO_DB)")
	fs.StringVar(&c.ClusterHost, "cluster-host", env("127.0.0.1", "PARLEY_CLUSTER_HOST"), "actor cluster bind address (PARLEY_CLUSTER_HOST)")
	port := fs.String("cluster-port", env("0", "PARLEY_CLUSTER_PORT"), "actor cluster port; 0 picks a free one (PARLEY_CLUSTER_PORT)")
	security := securityFlags(fs, env)
	limits := limitFlags(fs, env)
	identity := identityFlags(fs, env)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("log level %q: use debug, info, warn or error", *level)
	}
	var err error
	if c.Dev, err = strconv.ParseBool(*dev); err != nil {
		return c, fmt.Errorf("dev mode %q: use true or false", *dev)
	}
	if c.ClusterPort, err = strconv.Atoi(*port); err != nil || c.ClusterPort < 0 || c.ClusterPort > 65535 {
		return c, fmt.Errorf("cluster port %q: use a port number, or 0 for a free one", *port)
	}
	c.Secret = []byte(env("", "PARLEY_SECRET_KEY", "SECRET_KEY"))
	c.AdminUsername, c.AdminPassword = getenv("PARLEY_ADMIN_USERNAME"), getenv("PARLEY_ADMIN_PASSWORD")
	c.ShutdownWait = 15 * time.Second
	c.API = api.Config{DevMode: c.Dev, ShutdownTimeout: c.ShutdownWait}
	if err := security.apply(&c); err != nil {
		return c, err
	}
	if err := limits.apply(&c); err != nil {
		return c, err
	}
	if err := identity.apply(&c); err != nil {
		return c, err
	}
	return c, c.validate()
}

// validate refuses settings that make no sense, saying what to change.
func (c config) validate() error {
	if len(c.Secret) > 0 && len(c.Secret) < minSecretLen && !c.Dev {
		return fmt.Errorf("PARLEY_SECRET_KEY is %d bytes; use at least %d (for example: openssl rand -hex 32), "+
			"unset it to have one generated in the data dir, or set PARLEY_DEV=1 for development", len(c.Secret), minSecretLen)
	}
	if (c.AdminUsername == "") != (c.AdminPassword == "") {
		return errors.New("set both PARLEY_ADMIN_USERNAME and PARLEY_ADMIN_PASSWORD, or neither")
	}
	if c.DataDir == "" && (c.MongoURI == "" || len(c.Secret) == 0) {
		return errors.New("PARLEY_DATA_DIR is empty: the SQLite store and the generated secret need a directory")
	}
	return nil
}
