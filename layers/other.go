//go:build !linux

package layers

import (
	"context"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Storage is the container storage of one host; on this system ctx cannot
// read it: the walker needs Linux's openat, getdents64 and xattr calls.
type Storage struct{}

// Open returns ErrNotImplemented.
func Open(hostfs.Root, Options) (*Storage, error) { return nil, ErrNotImplemented }

// Resolve returns ErrNotImplemented.
func (s *Storage) Resolve(string) (*Target, error) { return nil, ErrNotImplemented }

// Du returns ErrNotImplemented.
func (s *Storage) Du(context.Context, []*Target) (*Report, error) { return nil, ErrNotImplemented }

// DuAll returns ErrNotImplemented.
func (s *Storage) DuAll(context.Context) (*Report, []StorageRoot, error) {
	return nil, nil, ErrNotImplemented
}

// Stack returns ErrNotImplemented.
func (s *Storage) Stack(context.Context, *Target) (*Stack, error) { return nil, ErrNotImplemented }

// Diff returns ErrNotImplemented.
func (s *Storage) Diff(context.Context, *Target) (*DiffReport, error) { return nil, ErrNotImplemented }

// Which returns ErrNotImplemented.
func (s *Storage) Which(context.Context, *Target, string) (*WhichReport, error) {
	return nil, ErrNotImplemented
}

// Orphans returns ErrNotImplemented.
func (s *Storage) Orphans(context.Context, time.Time) (*OrphanReport, error) {
	return nil, ErrNotImplemented
}

// Warnings returns nothing.
func (s *Storage) Warnings() []string { return nil }

// WalkDirs returns ErrNotImplemented.
func WalkDirs(context.Context, hostfs.Root, []string, string, Options) (*Stack, []string, error) {
	return nil, nil, ErrNotImplemented
}
