package voicetest

import (
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func TestRxTimestamp(t *testing.T) {
	// A foreign message first, then the timestamp: both must be walked.
	space := syscall.CmsgSpace(4) + syscall.CmsgSpace(16)
	oob := make([]byte, space)
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = syscall.SOL_SOCKET, syscall.SCM_RIGHTS
	h.SetLen(syscall.CmsgLen(4))
	h2 := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[syscall.CmsgSpace(4)]))
	h2.Level, h2.Type = syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS
	h2.SetLen(syscall.CmsgLen(16))
	ts := (*syscall.Timespec)(unsafe.Pointer(&oob[syscall.CmsgSpace(4)+syscall.SizeofCmsghdr]))
	ts.Sec, ts.Nsec = 1700000000, 123
	got, ok := rxTimestamp(oob)
	if !ok || !got.Equal(time.Unix(1700000000, 123)) {
		t.Fatalf("got %v %v", got, ok)
	}
	if n := testing.AllocsPerRun(100, func() { rxTimestamp(oob) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
	for _, bad := range [][]byte{nil, oob[:10], make([]byte, 64)} {
		if _, ok := rxTimestamp(bad); ok {
			t.Errorf("accepted %x", bad)
		}
	}

	// And the kernel really stamps datagrams.
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !enableRxTimestamps(srv) {
		t.Skip("SO_TIMESTAMPNS unavailable")
	}
	cl, err := net.DialUDP("udp", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	before := time.Now()
	_, _ = cl.Write([]byte("x"))
	buf, oob2 := make([]byte, 16), make([]byte, 128)
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, oobn, _, _, err := srv.ReadMsgUDPAddrPort(buf, oob2)
	if err != nil {
		t.Fatal(err)
	}
	at, ok := rxTimestamp(oob2[:oobn])
	if !ok || at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("kernel timestamp %v (ok %v), sent at %v", at, ok, before)
	}
}
