package server

import (
	"net/http"
	"os"
	"sync"
)

// leaker holds file descriptors and memory on request (tests of the
// operator's recycling only; enabled by audionode.testing.leakEndpoint).
type leaker struct {
	mu    sync.Mutex
	files []*os.File
	mem   [][]byte
}

const maxLeakFDs, maxLeakBytes = 100000, 8 << 30

func (s *Server) handleLeak(w http.ResponseWriter, r *http.Request) {
	var body struct {
		FDs   int   `json:"fds"`
		Bytes int64 `json:"bytes"`
	}
	if !s.decodeBody(w, r, &body) {
		return
	}
	if body.FDs < 0 || body.FDs > maxLeakFDs || body.Bytes < 0 || body.Bytes > maxLeakBytes {
		s.writeError(w, r, http.StatusBadRequest, "fds or bytes out of range", nil)
		return
	}
	s.leak.mu.Lock()
	defer s.leak.mu.Unlock()
	for range body.FDs {
		f, err := os.Open(os.DevNull)
		if err != nil {
			s.writeError(w, r, http.StatusInternalServerError, err.Error(), err)
			return
		}
		s.leak.files = append(s.leak.files, f)
	}
	if body.Bytes > 0 {
		b := make([]byte, body.Bytes)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // touch every page so it counts in RSS
		}
		s.leak.mem = append(s.leak.mem, b)
	}
	writeJSON(w, http.StatusOK, map[string]int{"fds": len(s.leak.files), "chunks": len(s.leak.mem)})
}

func (s *Server) releaseLeak() {
	s.leak.mu.Lock()
	defer s.leak.mu.Unlock()
	for _, f := range s.leak.files {
		_ = f.Close()
	}
	s.leak.files, s.leak.mem = nil, nil
}
