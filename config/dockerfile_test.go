package config

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stage is one FROM section of a Dockerfile.
type stage struct {
	name, base string
	instr      []instruction
}

type instruction struct{ cmd, args string }

// parseDockerfile splits a Dockerfile into stages, joining continuation lines
// and substituting the global ARG defaults in FROM lines.
func parseDockerfile(t *testing.T, path string) map[string]*stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	args := map[string]string{}
	stages := map[string]*stage{}
	var cur *stage
	var line strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if line.Len() == 0 && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			line.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		line.WriteString(l)
		full := line.String()
		line.Reset()
		cmd, rest, _ := strings.Cut(full, " ")
		cmd = strings.ToUpper(cmd)
		rest = strings.TrimSpace(rest)
		switch {
		case cmd == "ARG" && cur == nil:
			k, v, _ := strings.Cut(rest, "=")
			args[k] = v
		case cmd == "FROM":
			fields := strings.Fields(rest)
			base := os.Expand(fields[0], func(k string) string { return args[k] })
			name := base
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				name = fields[2]
			}
			cur = &stage{name: name, base: base}
			stages[name] = cur
		case cur == nil:
			t.Fatalf("%s before the first FROM", cmd)
		default:
			cur.instr = append(cur.instr, instruction{cmd, rest})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// last returns the args of the stage's last instruction cmd, or "".
func (s *stage) last(cmd string) string {
	out := ""
	for _, i := range s.instr {
		if i.cmd == cmd {
			out = i.args
		}
	}
	return out
}

func (s *stage) has(cmd, substr string) bool {
	for _, i := range s.instr {
		if i.cmd == cmd && strings.Contains(i.args, substr) {
			return true
		}
	}
	return false
}

func TestDockerfile(t *testing.T) {
	st := parseDockerfile(t, filepath.Join(repoRoot(t), "Dockerfile"))

	goMod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if b := st["build-base"]; b == nil || goVer == nil || b.base != "golang:"+string(goVer[1])+"-bookworm" {
		t.Errorf("build-base stage %+v, want golang:%s-bookworm (go.mod's Go version)", b, goVer)
	}

	nonRoot := func(t *testing.T, s *stage) {
		t.Helper()
		u := s.last("USER")
		uid, _, _ := strings.Cut(u, ":")
		if u == "" || uid == "0" || uid == "root" {
			t.Errorf("stage %s runs as %q, want a non-root USER", s.name, u)
		}
		if uid != "65532" {
			t.Errorf("stage %s USER %q: the operator's pods run as 65532", s.name, u)
		}
	}

	t.Run("manager", func(t *testing.T) {
		m := st["manager"]
		if m == nil {
			t.Fatal("no manager stage")
		}
		if !strings.HasPrefix(m.base, "gcr.io/distroless/static") || !strings.HasSuffix(m.base, ":nonroot") {
			t.Errorf("manager base %s, want gcr.io/distroless/static*:nonroot", m.base)
		}
		nonRoot(t, m)
		if !m.has("COPY", "--from=build-manager /out/manager /manager") || m.last("ENTRYPOINT") != `["/manager"]` {
			t.Errorf("manager stage does not run /manager from build-manager: %+v", m.instr)
		}
		if b := st["build-manager"]; b == nil || !b.has("RUN", "CGO_ENABLED=0") || !b.has("RUN", "./cmd/manager") {
			t.Error("build-manager must build ./cmd/manager with CGO_ENABLED=0 (static, for distroless/static)")
		}
		// config/manager/manager.yaml runs the binary by this path.
		mf, err := os.ReadFile(filepath.Join(repoRoot(t), "config/manager/manager.yaml"))
		if err != nil || !strings.Contains(string(mf), "- /manager\n") {
			t.Errorf("config/manager/manager.yaml does not run /manager (%v)", err)
		}
	})

	t.Run("node", func(t *testing.T) {
		n := st["node"]
		if n == nil {
			t.Fatal("no node stage")
		}
		if !regexp.MustCompile(`^debian:[a-z]+-slim$`).MatchString(n.base) {
			t.Errorf("node base %s, want debian:<release>-slim", n.base)
		}
		if !n.has("RUN", "libopus0") {
			t.Error("node stage does not install the libopus0 runtime")
		}
		nonRoot(t, n)
		if !n.has("COPY", "/out/audionode /usr/local/bin/audionode") || n.last("ENTRYPOINT") != `["/usr/local/bin/audionode"]` {
			t.Errorf("node stage does not run /usr/local/bin/audionode: %+v", n.instr)
		}
		// The operator mounts application.yml at /config and passes --config.
		if n.last("WORKDIR") != "/config" || n.last("EXPOSE") != "2333" {
			t.Errorf("node WORKDIR %q EXPOSE %q, want /config and 2333", n.last("WORKDIR"), n.last("EXPOSE"))
		}
		if b := st["build-node"]; b == nil || !b.has("RUN", "CGO_ENABLED=1") || !b.has("RUN", "libopus-dev") || !b.has("RUN", "./cmd/audionode") {
			t.Error("build-node must build ./cmd/audionode with cgo against libopus-dev")
		}
	})
}
