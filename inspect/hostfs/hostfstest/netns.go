package hostfstest

import (
	"runtime"
	"testing"

	"github.com/vishvananda/netns"
)

// InNewNetNS moves the test goroutine, locked to its OS thread, into a fresh
// network namespace, and in t.Cleanup moves it back and unlocks it. Links
// made there vanish with it. Goroutines the test starts do not inherit the
// namespace (use netlink.NewHandleAt). It gates on euid 0 first.
func InNewNetNS(t testing.TB) {
	t.Helper()
	RequirePrivileged(t)
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("InNewNetNS: getting current netns: %v", err)
	}
	fresh, err := netns.New()
	if err != nil {
		// New may have unshared before failing to open the new namespace.
		if serr := netns.Set(orig); serr != nil {
			orig.Close()
			t.Fatalf("InNewNetNS: %v; and restoring the netns: %v (thread left locked)", err, serr)
		}
		orig.Close()
		runtime.UnlockOSThread()
		t.Fatalf("InNewNetNS: creating netns: %v", err)
	}
	t.Cleanup(func() {
		defer orig.Close()
		defer fresh.Close()
		if err := netns.Set(orig); err != nil {
			// Keep the thread locked: the runtime then ends it with the
			// goroutine instead of reusing a thread in the wrong namespace.
			t.Errorf("InNewNetNS: restoring netns: %v", err)
			return
		}
		runtime.UnlockOSThread()
	})
}
