package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// untrustedError says why a path is not trusted: another user could have
// written what is read from it.
type untrustedError struct {
	what, path string // what the path is, and the path as shown
	culprit    string // the file or directory at fault
	why        string
}

func (e *untrustedError) Error() string {
	if e.culprit == e.path {
		return fmt.Sprintf("%s %s %s", e.what, e.path, e.why)
	}
	return fmt.Sprintf("%s %s: %s %s", e.what, e.path, e.culprit, e.why)
}

// checkTrusted refuses an input (the template root, the secrets file, the
// recipients file) that another user could have written, the way ssh
// treats ~/.ssh: the path itself and every directory above it must be
// owned by root or by us, and writable by no one else (a group-writable
// path is fine when its group is its owner's private group). A directory others
// may write is accepted when it is sticky (as /tmp, or a multi-user
// /nix/store), since they cannot replace what is in it that is not theirs;
// the next component must then be ours or root's. Symbolic links are
// resolved first, and the path they lead to is checked.
func checkTrusted(what, path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return err
	}
	uid := uint32(os.Getuid())
	var dirs []string
	for p := real; ; p = filepath.Dir(p) {
		dirs = append(dirs, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	fail := func(culprit, why string) error {
		return hint(&untrustedError{what: what, path: display(path), culprit: display(culprit), why: why},
			"make it writable by you alone (chmod go-w), owned by you or root, in directories that are too")
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		p := dirs[i]
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return &os.PathError{Op: "lstat", Path: p, Err: err}
		}
		if st.Uid != 0 && st.Uid != uid {
			return fail(p, "is owned by "+userName(st.Uid)+", not by you or root")
		}
		writable := st.Mode&0o002 != 0 || st.Mode&0o020 != 0 && !privateGroup(st.Uid, st.Gid)
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if writable && !(isDir && st.Mode&unix.S_ISVTX != 0 && i > 0) {
			who := "others"
			if st.Mode&0o002 == 0 {
				who = "its group"
			}
			return fail(p, fmt.Sprintf("is writable by %s (mode %04o)", who, st.Mode&0o7777))
		}
	}
	return nil
}

// privateGroup reports whether gid is the private group of the owner uid,
// as Debian's and Ubuntu's ssh accept it (their default umask 002 makes
// every file group-writable): the owner's primary group, named after the
// owner. Nobody else is meant to be in such a group; rigup-exec cannot list
// its members without reading /etc/group, and trusts the convention.
func privateGroup(uid, gid uint32) bool {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil || u.Gid != strconv.FormatUint(uint64(gid), 10) {
		return false
	}
	g, err := user.LookupGroupId(u.Gid)
	return err == nil && g.Name == u.Username
}

// userName names a user for a message: by name, or by uid.
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return "user " + u.Username
	}
	return "uid " + id
}
