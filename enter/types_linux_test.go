//go:build linux

package enter

import "testing"

func TestTypeFlags(t *testing.T) {
	seen := map[int]bool{}
	for _, ty := range Types {
		f := ty.Flag()
		if f == 0 || seen[f] {
			t.Errorf("%s: flag %#x zero or repeated", ty, f)
		}
		seen[f] = true
		if back, ok := typeOfFlag(f); !ok || back != ty {
			t.Errorf("typeOfFlag(%#x) = %q, %v; want %q", f, back, ok, ty)
		}
	}
	if Type("foo").Valid() {
		t.Error(`Type("foo").Valid() = true`)
	}
}
