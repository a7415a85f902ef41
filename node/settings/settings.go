// Package settings loads the node's configuration: Lavalink's application.yml
// shape plus audionode's own keys under "audionode.*", with Lavalink-style
// environment overrides (upper case, "." and "-" become "_").
//
// Precedence, lowest first: built-in defaults, the YAML file, environment
// variables. Unknown keys produce warnings; invalid values make Load fail with
// an error that names the key (startup is the one place we fail fast).
package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid is wrapped by every error about a bad configuration value.
var ErrInvalid = errors.New("invalid setting")

// Settings is the node's whole configuration.
type Settings struct {
	Server    Server
	Lavalink  Lavalink
	Metrics   Metrics
	AudioNode AudioNode
}

// Server holds the HTTP listener settings (Spring's server.*).
type Server struct {
	Port    int    // server.port
	Address string // server.address
}

// Lavalink holds lavalink.server.*.
type Lavalink struct {
	Password              string          // lavalink.server.password
	Sources               map[string]bool // lavalink.server.sources.<name>
	Filters               map[string]bool // lavalink.server.filters.<name>
	BufferDurationMs      int             // lavalink.server.bufferDurationMs
	FrameBufferDurationMs int             // lavalink.server.frameBufferDurationMs
	OpusEncodingQuality   int             // lavalink.server.opusEncodingQuality, 0–10
	ResamplingQuality     string          // lavalink.server.resamplingQuality: LOW, MEDIUM or HIGH
	TrackStuckThresholdMs int             // lavalink.server.trackStuckThresholdMs
	UseSeekGhosting       bool            // lavalink.server.useSeekGhosting
	PlayerUpdateInterval  int             // lavalink.server.playerUpdateInterval, seconds
	Ratelimit             Ratelimit
	Timeouts              Timeouts
}

// Ratelimit holds lavalink.server.ratelimit.* (the route planner).
type Ratelimit struct {
	IPBlocks           []netip.Prefix // ipBlocks
	ExcludedIPs        []netip.Addr   // excludedIps
	Strategy           string         // RotateOnBan, LoadBalance, NanoSwitch or RotatingNanoSwitch
	SearchTriggersFail bool           // searchTriggersFail
	RetryLimit         int            // retryLimit: -1 library default, 0 unlimited
}

// Timeouts holds lavalink.server.timeouts.* for outgoing HTTP.
type Timeouts struct {
	ConnectTimeoutMs           int
	ConnectionRequestTimeoutMs int
	SocketTimeoutMs            int
}

// Metrics holds metrics.prometheus.*.
type Metrics struct {
	PrometheusEnabled  bool   // metrics.prometheus.enabled
	PrometheusEndpoint string // metrics.prometheus.endpoint
}

// AudioNode holds our own keys, audionode.*.
type AudioNode struct {
	LocalRoots             []string      // audionode.sources.local.roots
	HTTPAllowPrivate       bool          // audionode.sources.http.allowPrivate
	VoiceInsecureEndpoints bool          // audionode.voice.allowInsecureEndpoints
	VoiceConnectTimeout    time.Duration // audionode.voice.connectTimeoutMs
	MaxRequestBodyBytes    int64         // audionode.server.maxRequestBodyBytes
	ShutdownTimeout        time.Duration // audionode.server.shutdownTimeoutMs
	DrainTimeout           time.Duration // audionode.drain.timeoutMs (SIGTERM drain deadline)
	LogLevel               string        // audionode.log.level: debug, info, warn, error
	// TestingLeakEndpoint enables POST /audionode/v1/testing/leak, which makes
	// the node hold file descriptors and memory on purpose, so fleet tests can
	// prove the operator recycles a leaking pod. Never enable it in production.
	TestingLeakEndpoint bool // audionode.testing.leakEndpoint
}

// SourceNames lists the sources Lavalink knows, in the order it registers them.
var SourceNames = []string{"youtube", "bandcamp", "soundcloud", "twitch", "vimeo", "nico", "http", "local"}

// FilterNames lists the filters Lavalink knows.
var FilterNames = []string{"volume", "equalizer", "karaoke", "timescale", "tremolo", "vibrato", "distortion", "rotation", "channelMix", "lowPass"}

// Default returns the built-in configuration (the reference's defaults, with
// the example password so `make run` works without a file).
func Default() Settings {
	s := Settings{
		Server: Server{Port: 2333, Address: "0.0.0.0"},
		Lavalink: Lavalink{
			Password:              "youshallnotpass",
			Sources:               map[string]bool{},
			Filters:               map[string]bool{},
			BufferDurationMs:      400,
			FrameBufferDurationMs: 5000,
			OpusEncodingQuality:   10,
			ResamplingQuality:     "LOW",
			TrackStuckThresholdMs: 10000,
			UseSeekGhosting:       true,
			PlayerUpdateInterval:  5,
			Ratelimit:             Ratelimit{Strategy: "RotateOnBan", SearchTriggersFail: true, RetryLimit: -1},
			Timeouts:              Timeouts{ConnectTimeoutMs: 3000, ConnectionRequestTimeoutMs: 3000, SocketTimeoutMs: 3000},
		},
		Metrics: Metrics{PrometheusEnabled: false, PrometheusEndpoint: "/metrics"},
		AudioNode: AudioNode{
			VoiceConnectTimeout: 10 * time.Second,
			MaxRequestBodyBytes: 1 << 20,
			ShutdownTimeout:     10 * time.Second,
			DrainTimeout:        30 * time.Second,
			LogLevel:            "info",
		},
	}
	// The reference's code defaults: all true except nico and local.
	for _, n := range SourceNames {
		s.Lavalink.Sources[n] = n != "nico" && n != "local"
	}
	for _, n := range FilterNames {
		s.Lavalink.Filters[n] = true
	}
	return s
}

// Addr is the listen address host:port.
func (s *Settings) Addr() string {
	return netipJoin(s.Server.Address, s.Server.Port)
}

func netipJoin(host string, port int) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

// Options tell Load where to read from. Zero values mean the process defaults.
type Options struct {
	// Path is the YAML file. Empty means "./application.yml" if it exists.
	Path string
	// Env looks up environment variables; nil means os.LookupEnv.
	Env func(string) (string, bool)
}

// Result is what Load returns besides the settings.
type Result struct {
	Settings Settings
	File     string   // the file read, or "" when none
	Warnings []string // unknown or ignored keys, one line each
}

// Load builds the settings from defaults, the file and the environment.
func Load(opts Options) (Result, error) {
	res := Result{Settings: Default()}
	env := opts.Env
	if env == nil {
		env = os.LookupEnv
	}
	path, explicit := opts.Path, opts.Path != ""
	if !explicit {
		path = "application.yml"
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		res.File = path
	case !explicit && errors.Is(err, fs.ErrNotExist):
		data = nil
	default:
		return res, fmt.Errorf("read config: %w", err)
	}
	values := map[string]any{}
	if len(data) > 0 {
		var root any
		if err := yaml.Unmarshal(data, &root); err != nil {
			return res, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
		}
		if root != nil {
			m, ok := root.(map[string]any)
			if !ok {
				return res, fmt.Errorf("%w: %s: top level must be a mapping", ErrInvalid, path)
			}
			flatten("", m, values)
		}
	}
	keys := registry()
	// File values, in sorted key order so errors and warnings are deterministic.
	fileKeys := make([]string, 0, len(values))
	for k := range values {
		fileKeys = append(fileKeys, k)
	}
	sort.Strings(fileKeys)
	for _, k := range fileKeys {
		kd, ok := lookupKey(keys, k)
		if !ok {
			if ignoredPrefix(k) {
				continue
			}
			res.Warnings = append(res.Warnings, fmt.Sprintf("unknown configuration key %q ignored", k))
			continue
		}
		if kd.set == nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("configuration key %q is not supported by audionode and is ignored", k))
			continue
		}
		if err := kd.set(&res.Settings, k, values[k]); err != nil {
			return res, fmt.Errorf("%w: %s: %v", ErrInvalid, k, err)
		}
	}
	// Environment overrides.
	for _, kd := range keys {
		if kd.set == nil {
			continue
		}
		for _, name := range kd.names() {
			v, ok := env(EnvName(name))
			if !ok {
				continue
			}
			if err := kd.set(&res.Settings, name, v); err != nil {
				return res, fmt.Errorf("%w: %s (from $%s): %v", ErrInvalid, name, EnvName(name), err)
			}
		}
	}
	if err := res.Settings.Validate(); err != nil {
		return res, err
	}
	return res, nil
}

// EnvName maps a key to its environment variable the way Spring does:
// upper case, "." and "-" become "_".
func EnvName(key string) string {
	r := strings.NewReplacer(".", "_", "-", "_")
	return strings.ToUpper(r.Replace(key))
}

// Validate checks cross-field and range constraints.
func (s *Settings) Validate() error {
	bad := func(key, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, key, fmt.Sprintf(format, a...))
	}
	if s.Server.Port < 0 || s.Server.Port > 65535 {
		return bad("server.port", "%d is not a TCP port (0–65535)", s.Server.Port)
	}
	if s.Lavalink.Password == "" {
		return bad("lavalink.server.password", "must not be empty")
	}
	if q := s.Lavalink.OpusEncodingQuality; q < 0 || q > 10 {
		return bad("lavalink.server.opusEncodingQuality", "%d is outside 0–10", q)
	}
	switch s.Lavalink.ResamplingQuality {
	case "LOW", "MEDIUM", "HIGH":
	default:
		return bad("lavalink.server.resamplingQuality", "%q is not LOW, MEDIUM or HIGH", s.Lavalink.ResamplingQuality)
	}
	if s.Lavalink.BufferDurationMs < 0 || s.Lavalink.FrameBufferDurationMs < 0 {
		return bad("lavalink.server.frameBufferDurationMs", "must not be negative")
	}
	if s.Lavalink.PlayerUpdateInterval < 1 {
		return bad("lavalink.server.playerUpdateInterval", "%d must be at least 1 second", s.Lavalink.PlayerUpdateInterval)
	}
	// The reference replaces thresholds under 100 ms with its default.
	if s.Lavalink.TrackStuckThresholdMs < 100 {
		s.Lavalink.TrackStuckThresholdMs = 10000
	}
	switch s.Lavalink.Ratelimit.Strategy {
	case "RotateOnBan", "LoadBalance", "NanoSwitch", "RotatingNanoSwitch":
	default:
		return bad("lavalink.server.ratelimit.strategy", "%q is not RotateOnBan, LoadBalance, NanoSwitch or RotatingNanoSwitch", s.Lavalink.Ratelimit.Strategy)
	}
	if !strings.HasPrefix(s.Metrics.PrometheusEndpoint, "/") {
		return bad("metrics.prometheus.endpoint", "%q must start with /", s.Metrics.PrometheusEndpoint)
	}
	if s.AudioNode.MaxRequestBodyBytes < 1024 {
		return bad("audionode.server.maxRequestBodyBytes", "%d is below 1024", s.AudioNode.MaxRequestBodyBytes)
	}
	switch s.AudioNode.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("audionode.log.level", "%q is not debug, info, warn or error", s.AudioNode.LogLevel)
	}
	for _, r := range s.AudioNode.LocalRoots {
		if !strings.HasPrefix(r, "/") {
			return bad("audionode.sources.local.roots", "%q is not an absolute path", r)
		}
	}
	return nil
}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			flatten(key, sub, out)
			continue
		}
		out[key] = v
	}
}

// ignoredPrefix reports keys that belong to Lavalink features we knowingly
// do not implement and that are common in existing files (no warning noise).
func ignoredPrefix(k string) bool {
	for _, p := range []string{"logging.", "plugins.", "sentry.", "spring.", "lavalink.plugins", "lavalink.pluginsDir",
		"lavalink.defaultPlugin", "server.http2.", "management."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}
