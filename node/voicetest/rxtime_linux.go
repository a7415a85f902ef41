package voicetest

import (
	"net"
	"syscall"
	"time"
	"unsafe"
)

// enableRxTimestamps asks the kernel to stamp each datagram on arrival, so
// inter-arrival times measure the sender, not this process's scheduling.
func enableRxTimestamps(c *net.UDPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	_ = rc.Control(func(fd uintptr) {
		ok = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1) == nil
	})
	return ok
}

// rxTimestamp extracts SCM_TIMESTAMPNS from a control message buffer
// without allocating (the fake reads hundreds of thousands per second).
func rxTimestamp(oob []byte) (time.Time, bool) {
	for len(oob) >= syscall.SizeofCmsghdr {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < syscall.SizeofCmsghdr || l > len(oob) {
			return time.Time{}, false
		}
		data := oob[syscall.SizeofCmsghdr:l]
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS && len(data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&data[0]))
			return time.Unix(ts.Sec, ts.Nsec), true
		}
		next := syscall.CmsgSpace(l - syscall.SizeofCmsghdr)
		if next > len(oob) {
			break
		}
		oob = oob[next:]
	}
	return time.Time{}, false
}
