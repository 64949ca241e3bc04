package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ociSpec is the part of an OCI runtime config.json (runtime-spec
// config.md, config-linux.md) that ctx honours.
type ociSpec struct {
	Process *struct {
		Terminal bool `json:"terminal"`
		User     struct {
			UID uint32 `json:"uid"`
			GID uint32 `json:"gid"`
		} `json:"user"`
		Args         []string `json:"args"`
		Env          []string `json:"env"`
		Cwd          string   `json:"cwd"`
		Capabilities *struct {
			Bounding []string `json:"bounding"`
		} `json:"capabilities"`
		NoNewPrivileges bool `json:"noNewPrivileges"`
	} `json:"process"`
	Root *struct {
		Path     string `json:"path"`
		Readonly bool   `json:"readonly"`
	} `json:"root"`
	Hostname string `json:"hostname"`
	Mounts   []struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	} `json:"mounts"`
	Linux *struct {
		Namespaces []struct {
			Type string `json:"type"`
			Path string `json:"path"`
		} `json:"namespaces"`
		UIDMappings []struct {
			ContainerID uint32 `json:"containerID"`
			HostID      uint32 `json:"hostID"`
			Size        uint32 `json:"size"`
		} `json:"uidMappings"`
		Resources *struct {
			Memory *struct {
				Limit *int64 `json:"limit"`
				Swap  *int64 `json:"swap"`
			} `json:"memory"`
			CPU *struct {
				Shares *uint64 `json:"shares"`
				Quota  *int64  `json:"quota"`
				Period *uint64 `json:"period"`
			} `json:"cpu"`
			Pids *struct {
				Limit int64 `json:"limit"`
			} `json:"pids"`
		} `json:"resources"`
		MaskedPaths   []string `json:"maskedPaths"`
		ReadonlyPaths []string `json:"readonlyPaths"`
	} `json:"linux"`
}

// bundleExtras are what a bundle sets that has no Spec field.
type bundleExtras struct {
	masked, readonly []string // nil: ctx's defaults
	tmpfs            []string // extra tmpfs mount points
}

// specialMounts are set up by ctx itself whatever the bundle says.
var specialMounts = map[string]bool{"/proc": true, "/dev": true, "/dev/pts": true, "/dev/shm": true,
	"/dev/mqueue": true, "/sys": true, "/sys/fs/cgroup": true}

// applyBundle reads dir/config.json and fills what s leaves unset: the
// root (relative to dir), process, hostname, mounts, namespaces, limits and
// capabilities. Explicit Spec values win; the bundle's environment comes
// before s.Env.
func applyBundle(s *Spec, dir string) (*bundleExtras, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%w: bundle %q has no config.json", ErrNoRootfs, dir)
		}
		return nil, fmt.Errorf("sandbox: bundle: %w", err)
	}
	var o ociSpec
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, invalidf("bundle %q: config.json: %v", dir, err)
	}
	ex := &bundleExtras{}
	if o.Root == nil || o.Root.Path == "" {
		return nil, invalidf("bundle %q: config.json has no root.path", dir)
	}
	s.Rootfs = o.Root.Path
	if !filepath.IsAbs(s.Rootfs) {
		s.Rootfs = filepath.Join(dir, s.Rootfs)
	}
	s.ReadOnly = s.ReadOnly || o.Root.Readonly
	if p := o.Process; p != nil {
		if len(s.Args) == 0 {
			s.Args = p.Args
		}
		s.Env = append(append([]string(nil), p.Env...), s.Env...)
		if s.Cwd == "" {
			s.Cwd = p.Cwd
		}
		if s.User == "" && (p.User.UID != 0 || p.User.GID != 0) {
			s.User = strconv.FormatUint(uint64(p.User.UID), 10) + ":" + strconv.FormatUint(uint64(p.User.GID), 10)
		}
		if c := p.Capabilities; c != nil && len(s.CapAdd) == 0 && len(s.CapDrop) == 0 && !s.Privileged {
			s.CapDrop = []string{"ALL"}
			s.CapAdd = append([]string(nil), c.Bounding...)
		}
	}
	if s.Hostname == "" {
		s.Hostname = o.Hostname
	}
	for _, m := range o.Mounts {
		dst := filepath.Clean(m.Destination)
		if specialMounts[dst] {
			continue
		}
		bind := m.Type == "bind" || containsFold(m.Options, "bind") || containsFold(m.Options, "rbind")
		switch {
		case bind:
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(dir, src)
			}
			s.Volumes = append(s.Volumes, Volume{Source: src, Target: dst, ReadOnly: containsFold(m.Options, "ro")})
		case m.Type == "tmpfs":
			ex.tmpfs = append(ex.tmpfs, dst)
		}
	}
	if l := o.Linux; l != nil {
		ex.masked, ex.readonly = l.MaskedPaths, l.ReadonlyPaths
		if s.Net.Mode == "" {
			s.Net.Mode = NetHost
			for _, ns := range l.Namespaces {
				if ns.Type == "network" {
					s.Net.Mode = NetNone
					if ns.Path != "" {
						s.Net = Network{Mode: NetContainer, Target: ns.Path, BridgeNetNS: s.Net.BridgeNetNS}
					}
				}
			}
		}
		for _, ns := range l.Namespaces {
			if ns.Type == "user" && !s.UserNS {
				s.UserNS = true
				for _, m := range l.UIDMappings {
					if m.ContainerID == 0 {
						s.UserNSBase = m.HostID
					}
				}
			}
		}
		if r := l.Resources; r != nil {
			if r.Memory != nil && r.Memory.Limit != nil && s.Limits.Memory == 0 && *r.Memory.Limit > 0 {
				s.Limits.Memory = *r.Memory.Limit
				if r.Memory.Swap != nil && s.Limits.MemorySwap == 0 {
					s.Limits.MemorySwap = *r.Memory.Swap
				}
			}
			if c := r.CPU; c != nil {
				if c.Quota != nil && *c.Quota > 0 && s.Limits.CPUs == 0 {
					period := uint64(100000)
					if c.Period != nil && *c.Period > 0 {
						period = *c.Period
					}
					s.Limits.CPUs = float64(*c.Quota) / float64(period)
				}
				if c.Shares != nil && *c.Shares > 0 && s.Limits.CPUShares == 0 && s.Limits.CPUWeight == 0 {
					s.Limits.CPUShares = *c.Shares
				}
			}
			if r.Pids != nil && r.Pids.Limit > 0 && s.Limits.PIDs == 0 {
				s.Limits.PIDs = r.Pids.Limit
			}
		}
	}
	for _, e := range s.Env {
		if !strings.Contains(e, "=") {
			return nil, invalidf("bundle %q: environment entry %q is not KEY=VALUE", dir, e)
		}
	}
	return ex, nil
}
