package api

import (
	"sync"
)

// outbox is one connection's bounded outbound queue. Push never blocks its
// caller (a relay fanning out to thousands of connections): it appends, and
// starts a writer goroutine only if none is running. The writer drains
// everything queued and sends it as one frame, events separated by newlines,
// then exits, so an idle connection holds no goroutine and no buffer.
type outbox struct {
	write    func(frame []byte) error // sends one frame; only the writer calls it
	overflow func()                   // called once, off the caller's goroutine, when the bound is passed

	mu       sync.Mutex
	frames   [][]byte
	bytes    int
	maxCount int
	maxBytes int
	running  bool
	closed   bool
	failed   bool
	writers  sync.WaitGroup
	then     func() // run by the writer once the queue is empty (see Then)
	buf      []byte // the writer's join buffer; only the running writer touches it
}

func newOutbox(maxCount, maxBytes int, write func([]byte) error, overflow func()) *outbox {
	return &outbox{write: write, overflow: overflow, maxCount: maxCount, maxBytes: maxBytes}
}

// Push queues frame, which the outbox then owns (frames shared by many
// connections are never modified). It returns false when the connection is
// closed or has fallen behind its bound; the connection is then being closed.
func (o *outbox) Push(frame []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.failed {
		return false
	}
	if len(o.frames) >= o.maxCount || o.bytes+len(frame) > o.maxBytes {
		o.failed = true
		o.frames, o.bytes = nil, 0
		go o.overflow()
		return false
	}
	o.frames = append(o.frames, frame)
	o.bytes += len(frame)
	if !o.running {
		o.running = true
		o.writers.Add(1)
		go o.run()
	}
	return true
}

// run writes until the queue is empty.
func (o *outbox) run() {
	defer o.writers.Done()
	for {
		o.mu.Lock()
		frames := o.frames
		o.frames, o.bytes = nil, 0
		if len(frames) == 0 || o.closed || o.failed {
			o.running = false
			then := o.then
			o.then = nil
			o.mu.Unlock()
			if then != nil {
				then()
			}
			return
		}
		o.mu.Unlock()
		o.buf = joinFrames(o.buf[:0], frames)
		if err := o.write(o.buf); err != nil {
			o.mu.Lock()
			o.failed, o.running, o.frames = true, false, nil
			o.mu.Unlock()
			return
		}
		if cap(o.buf) > 64<<10 {
			o.buf = nil // do not keep a burst's buffer on an idle connection
		}
	}
}

// joinFrames appends frames to dst separated by newlines (JSON never contains
// a raw newline, so the protocol splits on them).
func joinFrames(dst []byte, frames [][]byte) []byte {
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, '\n')
		}
		dst = append(dst, f...)
	}
	return dst
}

// Then runs fn once every frame queued so far has been written (at once, on
// its own goroutine, when nothing is queued), so a close frame never
// overtakes the error frame that explains it.
func (o *outbox) Then(fn func()) {
	o.mu.Lock()
	if o.running {
		o.then = fn
		o.mu.Unlock()
		return
	}
	o.mu.Unlock()
	go fn()
}

// Close stops accepting frames and waits for a running writer to finish, so the
// connection's memory is never written after its handler returns.
func (o *outbox) Close() {
	o.mu.Lock()
	o.closed = true
	o.frames = nil
	o.mu.Unlock()
	o.writers.Wait()
}
