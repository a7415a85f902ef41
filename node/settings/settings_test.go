package settings

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "application.yml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const sampleFile = `
server:
  port: 2444
  address: 127.0.0.1
lavalink:
  server:
    password: "filepass"
    sources:
      youtube: false
      local: true
    filters:
      karaoke: false
    bufferDurationMs: 600
    frame-buffer-duration-ms: 3000
    opusEncodingQuality: 7
    resamplingQuality: high
    playerUpdateInterval: 2
    ratelimit:
      ipBlocks: ["127.0.0.0/24"]
      excludedIps: ["127.0.0.7"]
      strategy: LoadBalance
metrics:
  prometheus:
    enabled: true
    endpoint: /metrics
audionode:
  sources:
    local:
      roots: [/srv/music, /tmp]
    http:
      allowPrivate: true
  voice:
    connectTimeoutMs: 2500
logging:
  level:
    root: INFO
`

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		file  string // YAML body; "" means no file
		env   map[string]string
		check func(t *testing.T, r Result)
	}{
		{
			name: "defaults without a file",
			check: func(t *testing.T, r Result) {
				s := r.Settings
				if s.Server.Port != 2333 || s.Server.Address != "0.0.0.0" || s.Lavalink.Password != "youshallnotpass" {
					t.Errorf("got server %+v password %q", s.Server, s.Lavalink.Password)
				}
				if s.Lavalink.Sources["local"] || !s.Lavalink.Sources["http"] || s.Lavalink.Sources["nico"] {
					t.Errorf("source defaults %v", s.Lavalink.Sources)
				}
				if s.Lavalink.OpusEncodingQuality != 10 || s.Lavalink.PlayerUpdateInterval != 5 || s.Lavalink.TrackStuckThresholdMs != 10000 {
					t.Errorf("lavalink defaults %+v", s.Lavalink)
				}
				if s.Metrics.PrometheusEnabled || s.Metrics.PrometheusEndpoint != "/metrics" {
					t.Errorf("metrics defaults %+v", s.Metrics)
				}
				if r.File != "" || len(r.Warnings) != 0 {
					t.Errorf("file %q warnings %v", r.File, r.Warnings)
				}
			},
		},
		{
			name: "file values",
			file: sampleFile,
			check: func(t *testing.T, r Result) {
				s := r.Settings
				if s.Addr() != "127.0.0.1:2444" || s.Lavalink.Password != "filepass" {
					t.Errorf("addr %s password %q", s.Addr(), s.Lavalink.Password)
				}
				if s.Lavalink.Sources["youtube"] || !s.Lavalink.Sources["local"] || s.Lavalink.Filters["karaoke"] || !s.Lavalink.Filters["volume"] {
					t.Errorf("sources %v filters %v", s.Lavalink.Sources, s.Lavalink.Filters)
				}
				if s.Lavalink.BufferDurationMs != 600 || s.Lavalink.FrameBufferDurationMs != 3000 || s.Lavalink.OpusEncodingQuality != 7 ||
					s.Lavalink.ResamplingQuality != "HIGH" || s.Lavalink.PlayerUpdateInterval != 2 {
					t.Errorf("lavalink %+v", s.Lavalink)
				}
				rl := s.Lavalink.Ratelimit
				if len(rl.IPBlocks) != 1 || rl.IPBlocks[0] != netip.MustParsePrefix("127.0.0.0/24") || len(rl.ExcludedIPs) != 1 || rl.Strategy != "LoadBalance" {
					t.Errorf("ratelimit %+v", rl)
				}
				if !s.Metrics.PrometheusEnabled {
					t.Error("metrics not enabled")
				}
				a := s.AudioNode
				if len(a.LocalRoots) != 2 || !a.HTTPAllowPrivate || a.VoiceConnectTimeout != 2500*time.Millisecond {
					t.Errorf("audionode %+v", a)
				}
				if len(r.Warnings) != 0 {
					t.Errorf("warnings %v", r.Warnings)
				}
			},
		},
		{
			name: "env overrides file",
			file: sampleFile,
			env: map[string]string{
				"SERVER_PORT":                             "2555",
				"LAVALINK_SERVER_PASSWORD":                "envpass",
				"LAVALINK_SERVER_SOURCES_YOUTUBE":         "true",
				"LAVALINK_SERVER_BUFFERDURATIONMS":        "200",
				"AUDIONODE_SOURCES_LOCAL_ROOTS":           "/a, /b,/c",
				"AUDIONODE_SOURCES_HTTP_ALLOWPRIVATE":     "false",
				"LAVALINK_SERVER_RATELIMIT_IPBLOCKS":      "127.0.1.0/24,::1/128",
				"METRICS_PROMETHEUS_ENDPOINT":             "/prom",
				"AUDIONODE_VOICE_ALLOWINSECUREENDPOINTS":  "true",
				"LAVALINK_SERVER_FILTERS_CHANNELMIX":      "false",
				"LAVALINK_SERVER_TRACKSTUCKTHRESHOLDMS":   "50", // < 100 → default, as the reference
				"SOMETHING_ELSE_ENTIRELY_UNRELATED_TO_US": "x",
			},
			check: func(t *testing.T, r Result) {
				s := r.Settings
				if s.Server.Port != 2555 || s.Lavalink.Password != "envpass" || !s.Lavalink.Sources["youtube"] || s.Lavalink.BufferDurationMs != 200 {
					t.Errorf("port %d password %q youtube %v buffer %d", s.Server.Port, s.Lavalink.Password, s.Lavalink.Sources["youtube"], s.Lavalink.BufferDurationMs)
				}
				if strings.Join(s.AudioNode.LocalRoots, "|") != "/a|/b|/c" || s.AudioNode.HTTPAllowPrivate || !s.AudioNode.VoiceInsecureEndpoints {
					t.Errorf("audionode %+v", s.AudioNode)
				}
				if len(s.Lavalink.Ratelimit.IPBlocks) != 2 || s.Metrics.PrometheusEndpoint != "/prom" || s.Lavalink.Filters["channelMix"] {
					t.Errorf("ipblocks %v endpoint %q filters %v", s.Lavalink.Ratelimit.IPBlocks, s.Metrics.PrometheusEndpoint, s.Lavalink.Filters)
				}
				if s.Lavalink.TrackStuckThresholdMs != 10000 {
					t.Errorf("stuck threshold %d", s.Lavalink.TrackStuckThresholdMs)
				}
			},
		},
		{
			name: "env without a file",
			env:  map[string]string{"SERVER_PORT": "0", "SERVER_ADDRESS": "::1"},
			check: func(t *testing.T, r Result) {
				if got := r.Settings.Addr(); got != "[::1]:0" {
					t.Errorf("addr %s", got)
				}
			},
		},
		{
			name: "unknown and unsupported keys warn",
			file: "server:\n  port: 2333\n  prot: 1\nlavalink:\n  server:\n    youtubeSearchEnabled: false\nplugins:\n  x: 1\n",
			check: func(t *testing.T, r Result) {
				w := strings.Join(r.Warnings, "\n")
				if len(r.Warnings) != 2 || !strings.Contains(w, `"server.prot"`) || !strings.Contains(w, "youtubeSearchEnabled") {
					t.Errorf("warnings %q", r.Warnings)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Env: envOf(tc.env)}
			if tc.file != "" {
				opts.Path = writeFile(t, tc.file)
			} else {
				t.Chdir(t.TempDir()) // no ./application.yml
			}
			r, err := Load(opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tc.check(t, r)
		})
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		env     map[string]string
		wantKey string
	}{
		{"port not a number", "server:\n  port: abc\n", nil, "server.port"},
		{"port out of range", "server:\n  port: 70000\n", nil, "server.port"},
		{"env port not a number", "", map[string]string{"SERVER_PORT": "twenty"}, "server.port"},
		{"opus quality out of range", "lavalink:\n  server:\n    opusEncodingQuality: 11\n", nil, "opusEncodingQuality"},
		{"resampling quality", "lavalink:\n  server:\n    resamplingQuality: ULTRA\n", nil, "resamplingQuality"},
		{"bad CIDR", "lavalink:\n  server:\n    ratelimit:\n      ipBlocks: [nope]\n", nil, "ipBlocks"},
		{"bad strategy", "", map[string]string{"LAVALINK_SERVER_RATELIMIT_STRATEGY": "Random"}, "strategy"},
		{"bad bool", "lavalink:\n  server:\n    sources:\n      local: maybe\n", nil, "lavalink.server.sources.local"},
		{"empty password", "", map[string]string{"LAVALINK_SERVER_PASSWORD": ""}, "password"},
		{"relative local root", "", map[string]string{"AUDIONODE_SOURCES_LOCAL_ROOTS": "music"}, "roots"},
		{"endpoint without slash", "metrics:\n  prometheus:\n    endpoint: metrics\n", nil, "endpoint"},
		{"not yaml", "server: [\n", nil, "application.yml"},
		{"top level list", "- a\n- b\n", nil, "top level"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Env: envOf(tc.env)}
			if tc.file != "" {
				opts.Path = writeFile(t, tc.file)
			} else {
				t.Chdir(t.TempDir())
			}
			_, err := Load(opts)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.wantKey) {
				t.Errorf("error %q does not name %q", err, tc.wantKey)
			}
		})
	}
}

func TestLoadMissingExplicitFile(t *testing.T) {
	_, err := Load(Options{Path: filepath.Join(t.TempDir(), "nope.yml"), Env: envOf(nil)})
	if err == nil || !strings.Contains(err.Error(), "nope.yml") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadReadsWorkingDirectoryFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "application.yml"), []byte("server:\n  port: 2999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	r, err := Load(Options{Env: envOf(nil)})
	if err != nil || r.Settings.Server.Port != 2999 || r.File != "application.yml" {
		t.Fatalf("got %+v %v", r, err)
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"server.port":                           "SERVER_PORT",
		"lavalink.server.password":              "LAVALINK_SERVER_PASSWORD",
		"lavalink.server.gc-warnings":           "LAVALINK_SERVER_GC_WARNINGS",
		"audionode.sources.http.allowPrivate":   "AUDIONODE_SOURCES_HTTP_ALLOWPRIVATE",
		"lavalink.server.frameBufferDurationMs": "LAVALINK_SERVER_FRAMEBUFFERDURATIONMS",
	} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}
