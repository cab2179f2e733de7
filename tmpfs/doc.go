// Package tmpfs makes, fills, locks and wipes the private directory in RAM
// where rigup-exec renders config files holding secrets for one run of a
// child program.
//
// # Guarantees
//
// A run directory is named rigup-<rig>-<random>, with 80 random bits, and
// is made directly in a base directory with mode 0700 whatever the umask.
// Written files are 0600 (0700 when executable). Every operation inside it
// goes through directory descriptors and follows no symlink, so a symlink
// planted by the child (or anyone) never redirects a write or a wipe outside
// the directory. WriteFile never replaces an existing file. Nothing is
// written outside the base and run directories. Errors never hold file
// contents.
//
// # Where the directory goes
//
// [Create] takes the first base that qualifies, checking each on the opened
// descriptor:
//
//  1. Options.RuntimeDir ($XDG_RUNTIME_DIR): an absolute path to a directory
//     owned by the effective uid, with no group or other permission bits,
//     on tmpfs or ramfs.
//  2. Options.ShmDir (default /dev/shm): a directory on tmpfs or ramfs,
//     owned by root or the effective uid, sticky if others may write to it.
//  3. Options.DiskDir, only if Options.AllowDisk: created 0700 if missing,
//     then it must be owned by the effective uid with no group or other
//     bits. Dir.FSType is then "disk".
//
// Otherwise Create fails with a [*NoRAMError] that says why each candidate
// was rejected. Temporary directories such as /tmp
// are never used unless passed as DiskDir.
//
// A base given as a symlink is resolved once: the directory it points to
// must qualify itself, and Dir.Base and Dir.Path name that directory, so
// the child's paths never go through the link.
//
// # The lock
//
// The run directory's own open descriptor holds flock(LOCK_EX). There is no
// lock file. While some process holds that lock, the directory is live:
// the sweep of stale directories leaves it alone and [Live] reports true. The flock belongs to the
// open file, so a child that inherits [Dir.LockFile] keeps the directory live even
// after rigup-exec itself died. Create sweeps its base
// first, so the directories of crashed runs go at the next run.
//
// # The wipe
//
// [Dir.WriteFileFunc] sizes the file, maps it shared, mlocks the mapping
// and only then has the content written in, so that the plaintext is never
// in a page that could swap when locking works. It then closes the file:
// the mapping alone keeps it, so RLIMIT_NOFILE does not limit how many
// files a run has. [Dir.Wipe] zeroes every written file through that
// mapping, which reaches the file even after the child renamed or unlinked
// it, and stops at the end of a file the child truncated. (An executable
// file keeps a read-only mapping instead, since the kernel will not run a
// file open for writing; the walk zeroes it.) Only the first 16384 files
// keep a mapping, a quarter of the kernel's default vm.max_map_count;
// later ones are unmapped once written, and only the walk reaches them.
// Wipe then walks the whole directory: regular files are overwritten with
// zeros, truncated and unlinked, but for a file already zeroed through its
// mapping and no longer than that, which is only unlinked; a file with more
// than one hard link is only unlinked, since it may be one of the user's
// own files linked in by the child; everything else is unlinked or, for
// directories, emptied and removed. The mappings stay until the walk is
// done, so that no other file can take the identity of one of them; then
// each run of them that lie side by side goes in one munmap. Wipe removes
// the run directory and releases the lock last. The sweep and [Remove] use
// the same walk.
//
// # Limits
//
// The wipe is best effort:
//   - tmpfs can swap. Written files are safe only once mlocked; a file that
//     does not fit under RLIMIT_MEMLOCK (8 MiB by default), or comes after
//     the first 16384, stays unlocked and [Dir.Locked] reports it. Files the
//     child creates are never locked.
//   - A file past the first 16384 that the child renamed out of the
//     directory, or unlinked, is not zeroed.
//   - Zeroing clears the page-cache copy only: not pages already swapped out,
//     pages the kernel moved, freed pages (unless the kernel runs with
//     init_on_free=1), nor copies in the child's memory or elsewhere.
//   - Copies the child makes outside the run directory are out of reach.
//   - On a disk base (AllowDisk) overwriting in place is not reliable:
//     journals, copy-on-write filesystems and SSDs keep old blocks.
//   - Other processes of the same uid can read the directory while it
//     exists.
//   - On macOS no filesystem is recognised as RAM-backed: only AllowDisk
//     works there.
package tmpfs
