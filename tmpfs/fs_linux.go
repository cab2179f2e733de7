package tmpfs

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// fsNames names the filesystems most often met instead of tmpfs, for
// rejection messages.
var fsNames = map[uint32]string{
	unix.EXT4_SUPER_MAGIC:      "ext4",
	unix.BTRFS_SUPER_MAGIC:     "btrfs",
	unix.XFS_SUPER_MAGIC:       "xfs",
	unix.OVERLAYFS_SUPER_MAGIC: "overlayfs",
	unix.NFS_SUPER_MAGIC:       "nfs",
	unix.V9FS_MAGIC:            "9p",
	unix.FUSE_SUPER_MAGIC:      "fuse",
	0x2fc12fc1:                 "zfs",
}

// fsKind names the filesystem holding fd and says whether it keeps its
// files in RAM (tmpfs or ramfs).
func fsKind(fd int) (name string, ram bool, err error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return "", false, err
	}
	// Statfs_t.Type is int64, int32 or uint32 depending on the architecture,
	// and RAMFS_MAGIC does not fit in an int32: compare as uint32.
	switch m := uint32(st.Type); m {
	case uint32(unix.TMPFS_MAGIC):
		return "tmpfs", true, nil
	case uint32(unix.RAMFS_MAGIC):
		return "ramfs", true, nil
	default:
		if name, ok := fsNames[m]; ok {
			return name, false, nil
		}
		return fmt.Sprintf("magic 0x%x", m), false, nil
	}
}

// allocate gives fd size bytes of real storage, so that a full filesystem
// shows here as ENOSPC rather than later as a fault on the mapping.
func allocate(fd, size int) error {
	err := unix.Fallocate(fd, 0, 0, int64(size))
	if err == unix.EOPNOTSUPP {
		return unix.Ftruncate(fd, int64(size))
	}
	return err
}

// chmodNoFollow sets the mode of the directory or regular file name in
// parent without following a symlink there. It refuses a regular file with
// other links: that could be one of the user's files hard-linked in.
func chmodNoFollow(parent int, name string, mode uint32) error {
	fd, err := unix.Openat(parent, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
	case unix.S_IFREG:
		if st.Nlink != 1 {
			return unix.EMLINK
		}
	default:
		return unix.ELOOP
	}
	// fchmod refuses O_PATH descriptors. fchmodat2 (Linux 6.6+) takes one
	// with AT_EMPTY_PATH; on older kernels the /proc link names this inode.
	err = unix.Fchmodat(fd, "", mode, unix.AT_EMPTY_PATH)
	if err == unix.EOPNOTSUPP || err == unix.ENOSYS {
		err = unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), mode, 0)
	}
	return err
}
