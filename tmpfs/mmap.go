package tmpfs

import (
	"os"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmap maps size bytes of the file open at fd, shared, where the kernel
// chooses. Files are mapped and unmapped with the pointer calls rather than
// unix.Mmap, whose table of mappings unmapAll would leave stale.
func mmap(fd, size, prot int) ([]byte, error) {
	p, err := unix.MmapPtr(fd, 0, nil, uintptr(size), prot, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(p), size), nil
}

// munmap unmaps b, made by mmap.
func munmap(b []byte) error {
	return unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b)))
}

// unmapAll unmaps every mapping of maps, with one call for each run of
// them that lie side by side, as the kernel mostly places mappings made one
// after the other: every munmap makes the kernel flush the TLB of each CPU
// that runs a thread of this process, which costs more than the rest of
// unmapping a small file. A run covers only pages of these mappings, never
// a gap, so nothing else is unmapped.
func unmapAll(maps []mapping) error {
	page := uintptr(os.Getpagesize())
	start := func(m mapping) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(m.b))) }
	length := func(m mapping) uintptr { return (uintptr(len(m.b)) + page - 1) &^ (page - 1) }
	sorted := slices.Clone(maps)
	slices.SortFunc(sorted, func(a, b mapping) int {
		if start(a) < start(b) {
			return -1
		}
		return 1
	})
	var first error
	for i := 0; i < len(sorted); {
		n := length(sorted[i])
		j := i + 1
		for ; j < len(sorted) && start(sorted[j]) == start(sorted[i])+n; j++ {
			n += length(sorted[j])
		}
		if err := unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(sorted[i].b)), n); err != nil && first == nil {
			first = err
		}
		i = j
	}
	return first
}
