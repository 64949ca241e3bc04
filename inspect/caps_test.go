//go:build linux

package inspect

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// capshDecode runs `capsh --decode=HEX` and returns the names it prints.
func capshDecode(t *testing.T, c CapSet) string {
	t.Helper()
	arg := fmt.Sprintf("--decode=0x%x", uint64(c))
	out, err := exec.Command("capsh", arg).Output()
	if err != nil {
		t.Fatalf("capsh %s: %v", arg, err)
	}
	_, names, ok := strings.Cut(strings.TrimSpace(string(out)), "=")
	if !ok {
		t.Fatalf("capsh %s printed %q; want 0xHEX=names", arg, out)
	}
	return names
}

func TestCapNamesMatchCapsh(t *testing.T) {
	hostfstest.RequireTool(t, "tools", "capsh")
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	last, err := ReadCapLastCap(root)
	if err != nil {
		t.Fatalf("ReadCapLastCap: %v", err)
	}
	if last < unix.CAP_CHECKPOINT_RESTORE {
		t.Logf("kernel cap_last_cap is %d", last)
	}
	// Every bit the kernel knows, then the rest up to 63, which capsh
	// prints as numbers.
	for bit := 0; bit < 64; bit++ {
		c := CapSetOf(bit)
		if got, want := c.String(), capshDecode(t, c); got != want {
			t.Errorf("bit %d: Names = %q; want %q (capsh)", bit, got, want)
		}
	}
	for _, c := range []CapSet{0, 0xa80425fb, 0x000001fffeffffff, FullSet(last), ^CapSet(0), DangerousCaps, 1<<41 | 1<<21 | 1} {
		if got, want := c.String(), capshDecode(t, c); got != want {
			t.Errorf("%s: Names = %q; want %q (capsh)", c.Hex(), got, want)
		}
	}
}

func TestCapByName(t *testing.T) {
	for _, name := range []string{"SYS_ADMIN", "cap_sys_admin", "CAP_SYS_ADMIN", "sys_admin"} {
		if bit, ok := CapByName(name); !ok || bit != unix.CAP_SYS_ADMIN {
			t.Errorf("CapByName(%q) = %d, %v; want %d, true", name, bit, ok, unix.CAP_SYS_ADMIN)
		}
	}
	if _, ok := CapByName("cap_nonsense"); ok {
		t.Error("CapByName(cap_nonsense) ok; want not found")
	}
}

func TestParseCapabilities(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Capabilities
		wantErr bool
	}{
		{
			name: "docker default",
			in:   "Name:\tsleep\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n",
			want: Capabilities{Effective: 0xa80425fb, Permitted: 0xa80425fb, Bounding: 0xa80425fb},
		},
		{
			name: "old kernel without CapAmb",
			in:   "CapInh:\t0000000000000001\nCapPrm:\t0000003fffffffff\nCapEff:\t0000003fffffffff\nCapBnd:\t0000003fffffffff\n",
			want: Capabilities{Effective: 0x3fffffffff, Permitted: 0x3fffffffff, Bounding: 0x3fffffffff, Inheritable: 1},
		},
		{name: "no cap lines", in: "Name:\tx\n", wantErr: true},
		{name: "bad hex", in: "CapInh:\tzz\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCapabilities([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestFullSetAndIsPrivileged(t *testing.T) {
	if got, want := FullSet(40), CapSet(0x1ffffffffff); got != want {
		t.Errorf("FullSet(40) = %s; want %s", got.Hex(), want.Hex())
	}
	if got := FullSet(63); got != ^CapSet(0) {
		t.Errorf("FullSet(63) = %s; want all ones", got.Hex())
	}
	noResource := FullSet(40) &^ CapSetOf(unix.CAP_SYS_RESOURCE)
	tests := []struct {
		name    string
		eff     CapSet
		lastCap int
		hostBnd CapSet
		want    bool
	}{
		{"full set, full host", FullSet(40), 40, FullSet(40), true},
		{"missing one the host has", noResource, 40, FullSet(40), false},
		{"all the host can grant", noResource, 40, noResource, true},
		{"docker default", 0xa80425fb, 40, FullSet(40), false},
		{"older kernel, more bits than known", FullSet(40), 37, FullSet(37), true},
		{"crippled host bounding set", 0, 40, 0, false},
		{"runtime predating cap_perfmon", FullSet(unix.CAP_AUDIT_READ), 40, FullSet(40), true},
		{"missing cap_audit_read", FullSet(unix.CAP_AUDIT_READ - 1), 40, FullSet(40), false},
	}
	for _, tt := range tests {
		if got := IsPrivileged(tt.eff, tt.lastCap, tt.hostBnd); got != tt.want {
			t.Errorf("%s: IsPrivileged = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestCapSetJSON(t *testing.T) {
	c := Capabilities{Effective: 0xa82425fb, Bounding: 0xa80425fb}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]struct {
		Hex       string   `json:"hex"`
		Names     []string `json:"names"`
		Dangerous []string `json:"dangerous"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	eff := raw["effective"]
	if eff.Hex != "00000000a82425fb" {
		t.Errorf("effective hex = %q; want 00000000a82425fb", eff.Hex)
	}
	if got := strings.Join(eff.Dangerous, ","); got != "cap_sys_admin" {
		t.Errorf("effective dangerous = %q; want cap_sys_admin", got)
	}
	if len(eff.Names) != 15 {
		t.Errorf("effective names = %v; want 15 names", eff.Names)
	}
	if p := raw["permitted"]; p.Names == nil || len(p.Names) != 0 || p.Dangerous != nil {
		t.Errorf("permitted = %+v; want empty names, no dangerous", p)
	}
	var back Capabilities
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Errorf("round trip = %+v; want %+v", back, c)
	}
}

func TestReadCapabilitiesFixture(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"proc/42/status":               "Name:\tsh\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n",
		"proc/1/status":                "Name:\tinit\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n",
		"proc/sys/kernel/cap_last_cap": "40\n",
	})
	c, err := ReadCapabilities(root, 42)
	if err != nil {
		t.Fatal(err)
	}
	last, err := ReadCapLastCap(root)
	if err != nil || last != 40 {
		t.Fatalf("ReadCapLastCap = %d, %v; want 40", last, err)
	}
	hb, err := ReadHostBounding(root)
	if err != nil {
		t.Fatal(err)
	}
	if !IsPrivileged(c.Effective, last, hb) {
		t.Errorf("IsPrivileged(%s, 40, %s) = false; want true", c.Effective.Hex(), hb.Hex())
	}
	if _, err := ReadCapabilities(root, 7); !hostfs.IsGone(err) {
		t.Errorf("ReadCapabilities(missing) err = %v; want not exist", err)
	}
}
