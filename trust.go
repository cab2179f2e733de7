package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

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
		if why := untrusted(st.Uid, st.Gid, uint32(st.Mode), i > 0); why != "" {
			return fail(p, why)
		}
	}
	return nil
}

// untrusted says why a file or directory of this owner and mode could have
// been written by another user, or returns "". A sticky directory others
// may write is fine when sticky is allowed: what is in it must then be
// checked too.
func untrusted(uid, gid, mode uint32, stickyOK bool) string {
	if uid != 0 && uid != uint32(os.Getuid()) {
		return "is owned by " + userName(uid) + ", not by you or root"
	}
	writable := mode&0o002 != 0 || mode&0o020 != 0 && !privateGroup(uid, gid)
	isDir := mode&unix.S_IFMT == unix.S_IFDIR
	if !writable || isDir && mode&unix.S_ISVTX != 0 && stickyOK {
		return ""
	}
	who := "others"
	if mode&0o002 == 0 {
		who = "its group"
	}
	return fmt.Sprintf("is writable by %s (mode %04o)", who, mode&0o7777)
}

// trustedEntry is the check of every directory and file under a template
// root whose path checkTrusted accepted: each must be ours or root's, and
// writable by no one else.
func trustedEntry(root string) func(string, fs.FileInfo) error {
	return func(name string, info fs.FileInfo) error {
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		if why := untrusted(st.Uid, st.Gid, uint32(st.Mode), true); why != "" {
			path := filepath.Join(root, name)
			return hint(&untrustedError{what: "template root", path: display(root), culprit: display(path), why: why},
				"make it writable by you alone (chmod -R go-w), owned by you or root")
		}
		return nil
	}
}

// privateGroup reports whether gid is the private group of the owner uid,
// as Debian's and Ubuntu's ssh accept it (their default umask 002 makes
// every file group-writable): the owner's primary group, named after the
// owner. Nobody else is meant to be in such a group; rigup-exec cannot list
// its members without reading /etc/group, and trusts the convention.
// The answer is remembered: under a umask of 002 every file of a template
// root asks.
func privateGroup(uid, gid uint32) bool {
	key := [2]uint32{uid, gid}
	privateGroups.Lock()
	defer privateGroups.Unlock()
	if is, ok := privateGroups.m[key]; ok {
		return is
	}
	is := lookupPrivateGroup(uid, gid)
	if privateGroups.m == nil {
		privateGroups.m = map[[2]uint32]bool{}
	}
	privateGroups.m[key] = is
	return is
}

var privateGroups struct {
	sync.Mutex
	m map[[2]uint32]bool
}

func lookupPrivateGroup(uid, gid uint32) bool {
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
