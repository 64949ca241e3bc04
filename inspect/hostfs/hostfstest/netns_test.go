package hostfstest

import (
	"testing"

	"github.com/vishvananda/netns"
)

func TestInNewNetNS(t *testing.T) {
	NoFDLeak(t) // both namespace handles must be closed
	RequirePrivileged(t)
	t.Run("inside", func(t *testing.T) {
		orig, err := netns.Get()
		if err != nil {
			t.Fatal(err)
		}
		// Registered before InNewNetNS, so it runs after its restore.
		t.Cleanup(func() {
			defer orig.Close()
			cur, err := netns.Get()
			if err != nil {
				t.Fatal(err)
			}
			defer cur.Close()
			if !cur.Equal(orig) {
				t.Errorf("after cleanup in netns %s; want %s", cur, orig)
			}
		})
		InNewNetNS(t)
		cur, err := netns.Get()
		if err != nil {
			t.Fatal(err)
		}
		defer cur.Close()
		if cur.Equal(orig) {
			t.Errorf("InNewNetNS: still in netns %s", orig)
		}
	})
}
