package tmpfs

import "golang.org/x/sys/unix"

// fsKind names the filesystem holding fd. macOS has no tmpfs, and a RAM
// disk (hdiutil ram://) shows as an ordinary hfs or apfs volume, so nothing
// counts as RAM here: only AllowDisk makes Create work.
func fsKind(fd int) (name string, ram bool, err error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return "", false, err
	}
	return unix.ByteSliceToString(st.Fstypename[:]), false, nil
}

// allocate gives fd size bytes.
func allocate(fd, size int) error {
	return unix.Ftruncate(fd, int64(size))
}

// chmodNoFollow sets the mode of name in parent without following a symlink
// there. It refuses a regular file with other links: that could be one of
// the user's files hard-linked in.
func chmodNoFollow(parent int, name string, mode uint32) error {
	var st unix.Stat_t
	if err := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink != 1 {
		return unix.EMLINK
	}
	return unix.Fchmodat(parent, name, mode, unix.AT_SYMLINK_NOFOLLOW)
}
