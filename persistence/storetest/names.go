package storetest

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var uniqueCounter atomic.Uint64

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// UniqueName returns a name unique to this test within the process, safe as a
// key prefix or database name (lower-case letters, digits and '_', at most 48
// characters).
func UniqueName(t testing.TB) string {
	t.Helper()
	base := unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(base) > 32 {
		base = base[len(base)-32:]
	}
	return fmt.Sprintf("t%d_%d_%s", os.Getpid()%100000, uniqueCounter.Add(1), strings.Trim(base, "_"))
}

// WaitFor polls cond until it returns true or timeout passes, then fails t.
// It is the only way tests here wait: never a bare sleep.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for delay := time.Millisecond; ; delay = min(delay*2, 100*time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(delay)
	}
}

// RequireServers reports whether tests that need real servers must fail (CI set)
// rather than skip when a binary is missing.
func RequireServers() bool { return os.Getenv("CI") != "" }
