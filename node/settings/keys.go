package settings

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// keyDef is one known key. set is nil for keys of the reference that
// audionode accepts but ignores (a warning says so).
type keyDef struct {
	name   string   // canonical spelling, e.g. "lavalink.server.bufferDurationMs"
	family []string // for "<prefix>.*" keys: the member names to look up in the environment
	set    func(s *Settings, key string, v any) error
}

// names returns the concrete keys this definition covers.
func (k keyDef) names() []string {
	if k.family == nil {
		return []string{k.name}
	}
	out := make([]string, len(k.family))
	for i, m := range k.family {
		out[i] = strings.TrimSuffix(k.name, "*") + m
	}
	return out
}

// normKey makes Spring's relaxed spellings comparable:
// bufferDurationMs, buffer-duration-ms and BUFFERDURATIONMS are one key.
func normKey(k string) string {
	return strings.ToLower(strings.ReplaceAll(k, "-", ""))
}

func lookupKey(keys []keyDef, k string) (keyDef, bool) {
	nk := normKey(k)
	for _, kd := range keys {
		if kd.family != nil {
			if strings.HasPrefix(nk, normKey(strings.TrimSuffix(kd.name, "*"))) {
				return kd, true
			}
			continue
		}
		if normKey(kd.name) == nk {
			return kd, true
		}
	}
	return keyDef{}, false
}

func registry() []keyDef {
	intKey := func(name string, dst func(*Settings) *int) keyDef {
		return keyDef{name: name, set: func(s *Settings, _ string, v any) error {
			n, err := toInt(v)
			*dst(s) = n
			return err
		}}
	}
	boolKey := func(name string, dst func(*Settings) *bool) keyDef {
		return keyDef{name: name, set: func(s *Settings, _ string, v any) error {
			b, err := toBool(v)
			*dst(s) = b
			return err
		}}
	}
	strKey := func(name string, dst func(*Settings) *string) keyDef {
		return keyDef{name: name, set: func(s *Settings, _ string, v any) error {
			str, err := toString(v)
			*dst(s) = str
			return err
		}}
	}
	msKey := func(name string, dst func(*Settings) *time.Duration) keyDef {
		return keyDef{name: name, set: func(s *Settings, _ string, v any) error {
			n, err := toInt(v)
			if err == nil && n < 0 {
				err = fmt.Errorf("%d must not be negative", n)
			}
			*dst(s) = time.Duration(n) * time.Millisecond
			return err
		}}
	}
	ignored := func(name string) keyDef { return keyDef{name: name} }
	member := func(key string) string { return key[strings.LastIndexByte(key, '.')+1:] }

	return []keyDef{
		intKey("server.port", func(s *Settings) *int { return &s.Server.Port }),
		strKey("server.address", func(s *Settings) *string { return &s.Server.Address }),
		strKey("lavalink.server.password", func(s *Settings) *string { return &s.Lavalink.Password }),
		{name: "lavalink.server.sources.*", family: SourceNames, set: func(s *Settings, key string, v any) error {
			b, err := toBool(v)
			s.Lavalink.Sources[canonicalMember(member(key), SourceNames)] = b
			return err
		}},
		{name: "lavalink.server.filters.*", family: FilterNames, set: func(s *Settings, key string, v any) error {
			b, err := toBool(v)
			s.Lavalink.Filters[canonicalMember(member(key), FilterNames)] = b
			return err
		}},
		intKey("lavalink.server.bufferDurationMs", func(s *Settings) *int { return &s.Lavalink.BufferDurationMs }),
		intKey("lavalink.server.frameBufferDurationMs", func(s *Settings) *int { return &s.Lavalink.FrameBufferDurationMs }),
		intKey("lavalink.server.opusEncodingQuality", func(s *Settings) *int { return &s.Lavalink.OpusEncodingQuality }),
		keyDef{name: "lavalink.server.resamplingQuality", set: func(s *Settings, _ string, v any) error {
			str, err := toString(v)
			s.Lavalink.ResamplingQuality = strings.ToUpper(str)
			return err
		}},
		intKey("lavalink.server.trackStuckThresholdMs", func(s *Settings) *int { return &s.Lavalink.TrackStuckThresholdMs }),
		boolKey("lavalink.server.useSeekGhosting", func(s *Settings) *bool { return &s.Lavalink.UseSeekGhosting }),
		intKey("lavalink.server.playerUpdateInterval", func(s *Settings) *int { return &s.Lavalink.PlayerUpdateInterval }),
		{name: "lavalink.server.ratelimit.ipBlocks", set: func(s *Settings, _ string, v any) error {
			list, err := toStrings(v)
			s.Lavalink.Ratelimit.IPBlocks = s.Lavalink.Ratelimit.IPBlocks[:0]
			for _, e := range list {
				p, perr := netip.ParsePrefix(e)
				if perr != nil {
					return fmt.Errorf("%q is not a CIDR block", e)
				}
				s.Lavalink.Ratelimit.IPBlocks = append(s.Lavalink.Ratelimit.IPBlocks, p.Masked())
			}
			return err
		}},
		{name: "lavalink.server.ratelimit.excludedIps", set: func(s *Settings, _ string, v any) error {
			list, err := toStrings(v)
			s.Lavalink.Ratelimit.ExcludedIPs = s.Lavalink.Ratelimit.ExcludedIPs[:0]
			for _, e := range list {
				a, aerr := netip.ParseAddr(e)
				if aerr != nil {
					return fmt.Errorf("%q is not an IP address", e)
				}
				s.Lavalink.Ratelimit.ExcludedIPs = append(s.Lavalink.Ratelimit.ExcludedIPs, a)
			}
			return err
		}},
		strKey("lavalink.server.ratelimit.strategy", func(s *Settings) *string { return &s.Lavalink.Ratelimit.Strategy }),
		boolKey("lavalink.server.ratelimit.searchTriggersFail", func(s *Settings) *bool { return &s.Lavalink.Ratelimit.SearchTriggersFail }),
		intKey("lavalink.server.ratelimit.retryLimit", func(s *Settings) *int { return &s.Lavalink.Ratelimit.RetryLimit }),
		intKey("lavalink.server.timeouts.connectTimeoutMs", func(s *Settings) *int { return &s.Lavalink.Timeouts.ConnectTimeoutMs }),
		intKey("lavalink.server.timeouts.connectionRequestTimeoutMs", func(s *Settings) *int { return &s.Lavalink.Timeouts.ConnectionRequestTimeoutMs }),
		intKey("lavalink.server.timeouts.socketTimeoutMs", func(s *Settings) *int { return &s.Lavalink.Timeouts.SocketTimeoutMs }),
		boolKey("metrics.prometheus.enabled", func(s *Settings) *bool { return &s.Metrics.PrometheusEnabled }),
		strKey("metrics.prometheus.endpoint", func(s *Settings) *string { return &s.Metrics.PrometheusEndpoint }),

		{name: "audionode.sources.local.roots", set: func(s *Settings, _ string, v any) error {
			list, err := toStrings(v)
			s.AudioNode.LocalRoots = list
			return err
		}},
		boolKey("audionode.sources.http.allowPrivate", func(s *Settings) *bool { return &s.AudioNode.HTTPAllowPrivate }),
		boolKey("audionode.voice.allowInsecureEndpoints", func(s *Settings) *bool { return &s.AudioNode.VoiceInsecureEndpoints }),
		msKey("audionode.voice.connectTimeoutMs", func(s *Settings) *time.Duration { return &s.AudioNode.VoiceConnectTimeout }),
		keyDef{name: "audionode.server.maxRequestBodyBytes", set: func(s *Settings, _ string, v any) error {
			n, err := toInt(v)
			s.AudioNode.MaxRequestBodyBytes = int64(n)
			return err
		}},
		msKey("audionode.server.shutdownTimeoutMs", func(s *Settings) *time.Duration { return &s.AudioNode.ShutdownTimeout }),
		msKey("audionode.drain.timeoutMs", func(s *Settings) *time.Duration { return &s.AudioNode.DrainTimeout }),
		keyDef{name: "audionode.log.level", set: func(s *Settings, _ string, v any) error {
			str, err := toString(v)
			s.AudioNode.LogLevel = strings.ToLower(str)
			return err
		}},

		boolKey("audionode.testing.leakEndpoint", func(s *Settings) *bool { return &s.AudioNode.TestingLeakEndpoint }),

		// Keys of the reference that only matter to its JVM sources or plugins.
		ignored("lavalink.server.youtubePlaylistLoadLimit"),
		ignored("lavalink.server.youtubeSearchEnabled"),
		ignored("lavalink.server.soundcloudSearchEnabled"),
		ignored("lavalink.server.soundcloudFilterOutPreviewTracks"),
		ignored("lavalink.server.nonAllocatingFrameBuffer"),
		ignored("lavalink.server.gcWarnings"),
		ignored("lavalink.server.youtubeConfig.email"),
		ignored("lavalink.server.youtubeConfig.password"),
		ignored("lavalink.server.httpConfig.proxyHost"),
		ignored("lavalink.server.httpConfig.proxyPort"),
		ignored("lavalink.server.httpConfig.proxyUser"),
		ignored("lavalink.server.httpConfig.proxyPassword"),
	}
}

func canonicalMember(m string, names []string) string {
	for _, n := range names {
		if normKey(n) == normKey(m) {
			return n
		}
	}
	return m
}

func toInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", x)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("%v is not an integer", v)
	}
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		if err != nil {
			return false, fmt.Errorf("%q is not true or false", x)
		}
		return b, nil
	default:
		return false, fmt.Errorf("%v is not true or false", v)
	}
}

func toString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, bool, float64:
		return fmt.Sprint(x), nil
	case nil:
		return "", nil
	default:
		return "", fmt.Errorf("%v is not a string", v)
	}
}

// toStrings accepts a YAML list or a comma-separated string (the env form).
func toStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, err := toString(e)
			if err != nil {
				return nil, err
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	case string:
		var out []string
		for _, e := range strings.Split(x, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%v is not a list", v)
	}
}
