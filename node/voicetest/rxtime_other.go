//go:build !linux

package voicetest

import (
	"net"
	"time"
)

func enableRxTimestamps(*net.UDPConn) bool { return false }

func rxTimestamp([]byte) (time.Time, bool) { return time.Time{}, false }
