package tmpfs

import (
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Probe is where [Create] would make a run directory with opt, found
// without making anything there.
type Probe struct {
	Base     string   // the base, symlinks resolved
	FSType   string   // its filesystem, "disk" for the AllowDisk base
	Rejected []string // why the RAM bases tried before it were passed over
	Stale    []string // run directories of ours in it that no process holds
}

// Look finds the base [Create] would use, and the stale run directories in
// it, which the next Create will sweep. Its error is Create's.
func Look(opt Options) (*Probe, error) {
	b, rejected, err := chooseBase(opt)
	if err != nil {
		return nil, err
	}
	defer unix.Close(b.fd)
	p := &Probe{Base: b.path, FSType: b.fstype, Rejected: rejected}
	names, _ := readNames(b.fd)
	for _, name := range names {
		if strings.HasPrefix(name, prefix) && !Live(filepath.Join(b.path, name)) {
			var st unix.Stat_t
			if unix.Fstatat(b.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && ours(&st) && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				p.Stale = append(p.Stale, name)
			}
		}
	}
	return p, nil
}
