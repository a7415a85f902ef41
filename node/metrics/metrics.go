// Package metrics exposes the node's Prometheus metrics: Lavalink's names
// (lavalink_players_total, lavalink_playing_players_total,
// lavalink_uptime_milliseconds, memory and CPU gauges), the Go and process
// collectors (process_resident_memory_bytes, process_open_fds, …), frame
// statistics, voice connections by state and close code, and track load
// results.
//
// Gauges that mirror node state are read from a Stats provider at scrape
// time, so nothing is computed per frame or per player change; counters are
// plain atomic adds.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Stats is what the node reports at scrape time. Implementations must be
// safe for concurrent use and cheap (a scrape may come every few seconds).
type Stats interface {
	Players() int
	PlayingPlayers() int
	// Frames returns node-wide totals of frames sent, nulled (nothing to
	// send) and deficit (expected but missing) since start.
	Frames() (sent, nulled, deficit uint64)
	// VoiceConnections counts players' voice connections: connected, and
	// held but not connected (handshaking or resuming).
	VoiceConnections() (connected, notConnected int)
}

// Metrics owns one Prometheus registry for the node.
type Metrics struct {
	reg   *prometheus.Registry
	start time.Time

	loadResults  *prometheus.CounterVec
	voiceCloses  *prometheus.CounterVec
	trackEvents  *prometheus.CounterVec
	closeCodesMu sync.Mutex
	closeCodes   map[int]prometheus.Counter // cached label values: no formatting per close
}

// New builds the registry. start is the node's start time (uptime).
func New(stats Stats, start time.Time) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), start: start, closeCodes: map[int]prometheus.Counter{}}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	gauge := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
	}
	gauge("lavalink_players_total", "Players on this node.", func() float64 { return float64(stats.Players()) })
	gauge("lavalink_playing_players_total", "Players currently playing a track.", func() float64 { return float64(stats.PlayingPlayers()) })
	gauge("lavalink_uptime_milliseconds", "Time since the node started.", func() float64 { return float64(time.Since(m.start).Milliseconds()) })
	gauge("lavalink_cpu_cores", "CPU cores usable by the node (GOMAXPROCS).", func() float64 { return float64(runtime.GOMAXPROCS(0)) })
	memGauge := func(name, help string, pick func(*runtime.MemStats) uint64) {
		gauge(name, help, func() float64 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			return float64(pick(&ms))
		})
	}
	// Lavalink's JVM memory figures mapped to the Go runtime's nearest equivalents.
	memGauge("lavalink_memory_used_bytes", "Heap in use.", func(ms *runtime.MemStats) uint64 { return ms.HeapInuse })
	memGauge("lavalink_memory_allocated_bytes", "Memory obtained from the OS.", func(ms *runtime.MemStats) uint64 { return ms.Sys })
	memGauge("lavalink_memory_free_bytes", "Obtained but unused heap.", func(ms *runtime.MemStats) uint64 { return ms.HeapIdle - ms.HeapReleased })
	counter("audionode_frames_sent_total", "Opus frames sent to voice servers.", func() float64 { s, _, _ := stats.Frames(); return float64(s) })
	counter("audionode_frames_nulled_total", "Ticks where a connected player had no frame to send.", func() float64 { _, n, _ := stats.Frames(); return float64(n) })
	counter("audionode_frames_deficit_total", "Frames expected but neither sent nor nulled.", func() float64 { _, _, d := stats.Frames(); return float64(d) })

	m.loadResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "audionode_load_results_total", Help: "Track load results by source and load type.",
	}, []string{"source", "load_type"})
	m.voiceCloses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "audionode_voice_closes_total", Help: "Voice gateway closes by close code.",
	}, []string{"code"})
	for _, state := range []string{"connected", "connecting"} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "audionode_voice_connections", Help: "Voice connections by state.",
			ConstLabels: prometheus.Labels{"state": state},
		}, func() float64 {
			c, n := stats.VoiceConnections()
			if state == "connected" {
				return float64(c)
			}
			return float64(n)
		}))
	}
	m.trackEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "audionode_track_end_total", Help: "Tracks ended, by end reason.",
	}, []string{"reason"})
	m.reg.MustRegister(m.loadResults, m.voiceCloses, m.trackEvents)
	return m
}

// Registry is the underlying registry (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format. It is meant to
// be mounted unauthenticated, as the reference does.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4, Timeout: 10 * time.Second})
}

// LoadResult counts one load result.
func (m *Metrics) LoadResult(source, loadType string) {
	m.loadResults.WithLabelValues(source, loadType).Inc()
}

// TrackEnded counts one track end by reason.
func (m *Metrics) TrackEnded(reason string) { m.trackEvents.WithLabelValues(reason).Inc() }

// VoiceClosed counts one voice gateway close.
func (m *Metrics) VoiceClosed(code int) {
	m.closeCodesMu.Lock()
	c, ok := m.closeCodes[code]
	if !ok {
		c = m.voiceCloses.WithLabelValues(strconv.Itoa(code))
		m.closeCodes[code] = c
	}
	m.closeCodesMu.Unlock()
	c.Inc()
}
