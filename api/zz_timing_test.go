package api_test
import ("testing";"time";"github.com/parleychat/parley/api/apitest")
func TestTiming(t *testing.T){ s:=time.Now(); e:=apitest.Start(t); t.Log("start",time.Since(s)); s=time.Now(); e.Stop(t); t.Log("stop",time.Since(s)) }
