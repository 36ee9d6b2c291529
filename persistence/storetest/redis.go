package storetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// redisReadyTimeout bounds how long a freshly started redis-server may take
	// to answer; it normally takes a few milliseconds.
	redisReadyTimeout = 10 * time.Second
	// redisStopTimeout bounds a graceful shutdown before the process is killed.
	redisStopTimeout = 5 * time.Second
	// redisStartAttempts is how often a start is tried, each time on a fresh
	// port, when redis-server cannot bind the one it was given (another
	// process took it between our probe and its bind).
	redisStartAttempts = 3
)

// RedisServer is a redis-server process started for tests: bound to a
// 127.0.0.1 port, without persistence, its working directory a temporary one.
// Stop and Restart simulate an outage; Restart brings it back on the same
// port (empty, as a real restart without persistence would), so clients that
// were connected before can reconnect without being reopened. Pause and
// Resume simulate a server that hangs.
// Its methods are safe for concurrent use.
type RedisServer struct {
	tb   testing.TB // fails Restart and reports Stop problems; nil for the shared server
	bin  string
	dir  string
	port int // fixed after the first start

	mu   sync.Mutex
	proc *redisProcess // nil while stopped
}

// redisProcess is one run of redis-server.
type redisProcess struct {
	cmd  *exec.Cmd
	out  bytes.Buffer  // stdout and stderr; read only after done is closed
	done chan struct{} // closed when the process has exited and been reaped
}

// StartRedisServer starts a redis-server of its own for tb (a test that stops
// the server needs one) and stops it in tb.Cleanup. Under -short it skips tb;
// without a redis-server binary it skips tb, or fails it when CI is set.
func StartRedisServer(tb testing.TB) *RedisServer {
	tb.Helper()
	bin := redisBinary(tb)
	s, err := startRedisServer(tb, bin, tb.TempDir())
	if err != nil {
		tb.Fatalf("storetest: start redis-server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartRedis returns the address ("127.0.0.1:port") of a redis-server started
// for tb by StartRedisServer.
func StartRedis(tb testing.TB) string {
	tb.Helper()
	return StartRedisServer(tb).Addr()
}

// Addr returns the server's "127.0.0.1:port". It stays the same across Stop and Restart.
func (s *RedisServer) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Stop shuts the server down (SIGTERM, then SIGKILL after a few seconds) and
// returns once the process has exited. Stopping a stopped server does nothing.
func (s *RedisServer) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	if err := p.stop(); err != nil && s.tb != nil {
		s.tb.Errorf("storetest: stop redis-server on %s: %v", s.Addr(), err)
	}
}

// Restart stops the server if it is running, starts it again on the same port
// and waits until it answers. It fails the test if the server does not come back.
func (s *RedisServer) Restart() {
	s.Stop()
	var err error
	for range redisStartAttempts {
		if err = s.start(); err == nil {
			return
		}
	}
	if s.tb == nil {
		panic(fmt.Sprintf("storetest: restart redis-server on %s: %v", s.Addr(), err)) // the shared server is never restarted
	}
	s.tb.Helper()
	s.tb.Fatalf("storetest: restart redis-server on %s: %v", s.Addr(), err)
}

// Pause freezes the server (SIGSTOP) without closing its sockets: the kernel
// still accepts connections, but nothing answers, as with a hung server or a
// network that drops packets. Resume lets it go on.
func (s *RedisServer) Pause() { s.signal(pauseSignal, "pause") }

// Resume lets a paused server go on (SIGCONT).
func (s *RedisServer) Resume() { s.signal(resumeSignal, "resume") }

func (s *RedisServer) signal(sig os.Signal, what string) {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	err := errors.New("not running")
	if p != nil {
		err = p.cmd.Process.Signal(sig)
	}
	if err != nil && s.tb != nil {
		s.tb.Helper()
		s.tb.Fatalf("storetest: %s redis-server on %s: %v", what, s.Addr(), err)
	}
}

// redisBinary returns the path of redis-server, or skips tb (fails it under
// CI) when it cannot run here.
func redisBinary(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("storetest: -short skips tests that need redis-server")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "storetest: redis-server not found (install the redis-server package): " + err.Error()
		if RequireServers() {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return bin
}

// startRedisServer starts redis-server on a free port, trying another port when
// the one it picked was taken before redis-server could bind it.
func startRedisServer(tb testing.TB, bin, dir string) (*RedisServer, error) {
	var err error
	for range redisStartAttempts {
		var port int
		if port, err = freeLoopbackPort(); err != nil {
			return nil, err
		}
		s := &RedisServer{tb: tb, bin: bin, dir: dir, port: port}
		if err = s.start(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// freeLoopbackPort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer func() { _ = l.Close() }() // only probed for its port
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server on s.port and waits until it answers as the process
// we started (not some other server that holds the port).
func (s *RedisServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return errors.New("already running")
	}
	cmd := exec.Command(s.bin,
		"--save", "", "--appendonly", "no", "--bind", "127.0.0.1",
		"--port", strconv.Itoa(s.port), "--dir", s.dir, "--loglevel", "warning")
	p := &redisProcess{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	go func() {
		_ = cmd.Wait() // the exit status says nothing a test needs; out has the reason
		close(p.done)
	}()
	if err := waitRedis(s.Addr(), cmd.Process.Pid, p.done); err != nil {
		_ = p.stop() // it failed already; a stop error would add nothing
		return fmt.Errorf("redis-server on %s: %w\n%s", s.Addr(), err, p.output())
	}
	s.proc = p
	return nil
}

// stop asks the process to shut down and kills it if it has not within redisStopTimeout.
func (p *redisProcess) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM) // fails only if it already exited, which done shows
	_ = p.cmd.Process.Signal(resumeSignal)    // a paused server must run to act on SIGTERM; as above
	select {
	case <-p.done:
		return nil
	case <-time.After(redisStopTimeout):
	}
	_ = p.cmd.Process.Kill() // as above
	<-p.done
	return fmt.Errorf("no exit within %v of SIGTERM; killed", redisStopTimeout)
}

// output returns what the process printed, once it has exited.
func (p *redisProcess) output() string {
	<-p.done
	return strings.TrimSpace(p.out.String())
}

// waitRedis polls addr until the server there reports process id pid, the
// process exits (done) or redisReadyTimeout passes.
func waitRedis(addr string, pid int, done <-chan struct{}) error {
	deadline := time.Now().Add(redisReadyTimeout)
	want := "process_id:" + strconv.Itoa(pid)
	for delay := 2 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		info, err := redisInfoServer(addr)
		if err == nil && strings.Contains(info, want+"\r\n") {
			return nil
		}
		if err == nil {
			err = errors.New("port answered by another server")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %v: %w", redisReadyTimeout, err)
		}
		select {
		case <-done:
			return errors.New("exited before it was ready")
		case <-time.After(delay):
		}
	}
}

// redisInfoServer sends INFO server to addr and returns the bulk reply.
func redisInfoServer(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close() }() // a probe: nothing to flush
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return "", err
	}
	if _, err := conn.Write([]byte("INFO server\r\n")); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	head, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	if !strings.HasPrefix(head, "$") || err != nil || n < 0 {
		return "", fmt.Errorf("unexpected reply %q", strings.TrimSpace(head)) // e.g. -LOADING
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return "", err
	}
	return string(body), nil
}

var sharedRedis struct {
	once sync.Once
	srv  *RedisServer
	err  error
}

// SharedRedis returns the address of one redis-server shared by every test of
// the package, started on first use. Tests keep apart by key prefix
// (UniqueName) and must not stop it; a test that needs an outage starts its
// own with StartRedisServer. The package's TestMain calls StopSharedRedis
// after m.Run. It skips like StartRedisServer.
func SharedRedis(tb testing.TB) string {
	tb.Helper()
	bin := redisBinary(tb)
	sharedRedis.once.Do(func() {
		dir, err := os.MkdirTemp("", "parley-redis-")
		if err != nil {
			sharedRedis.err = err
			return
		}
		sharedRedis.srv, sharedRedis.err = startRedisServer(nil, bin, dir)
		if sharedRedis.err != nil {
			_ = os.RemoveAll(dir) // empty: the server never ran
		}
	})
	if sharedRedis.err != nil {
		tb.Fatalf("storetest: start shared redis-server: %v", sharedRedis.err)
	}
	return sharedRedis.srv.Addr()
}

// StopSharedRedis stops the server SharedRedis started, if any, and removes its
// directory. Call it once from TestMain after m.Run. (Should a test binary die
// before that, the server is killed with it on Linux: see setParentDeathSignal.)
func StopSharedRedis() {
	if s := sharedRedis.srv; s != nil {
		s.Stop()
		_ = os.RemoveAll(s.dir) // a temp dir; nothing to do if it lingers
	}
}
