// Package podmetrics reads an audio node pod's load from its Prometheus
// endpoint (players, playing players, resident memory, open file
// descriptors) and talks to its admin API (drain). The operator uses it
// instead of Prometheus so decisions never wait on a scrape pipeline; any
// failure means "unknown", never "zero players".
package podmetrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors callers can match.
var (
	ErrStatus  = errors.New("podmetrics: unexpected HTTP status")
	ErrMissing = errors.New("podmetrics: required metric missing")
)

// maxBody bounds how much of a metrics response is read.
const maxBody = 4 << 20

// Load is one pod's scraped figures.
type Load struct {
	Players  int
	Playing  int
	RSSBytes int64
	OpenFDs  int64
	MaxFDs   int64
}

// Client scrapes pods. The zero value is not usable; use New.
type Client struct {
	http    *http.Client
	timeout time.Duration
}

// New returns a Client whose requests each take at most timeout.
func New(timeout time.Duration) *Client {
	return &Client{
		http: &http.Client{
			Timeout: timeout,
			Transport: &http.Transport{
				// No idle connections: a scrape every few seconds per pod
				// costs a loopback-cheap dial, and nothing lingers for the
				// owner to close.
				DisableKeepAlives:     true,
				ResponseHeaderTimeout: timeout,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: timeout,
	}
}

// Scrape reads baseURL+path (e.g. "http://10.0.0.5:2333" + "/metrics").
func (c *Client) Scrape(ctx context.Context, url string) (Load, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Load{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Load{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return Load{}, fmt.Errorf("%w: %s answered %d", ErrStatus, url, resp.StatusCode)
	}
	return Parse(io.LimitReader(resp.Body, maxBody))
}

// Parse extracts the figures from the Prometheus text format. Only
// unlabelled samples of the names it needs are read; everything else is
// skipped. The player gauges are required; the process ones are optional
// (zero when absent).
func Parse(r io.Reader) (Load, error) {
	var l Load
	var havePlayers, havePlaying bool
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, ok := value(rest)
		if !ok {
			continue
		}
		switch name {
		case "lavalink_players_total":
			l.Players, havePlayers = int(v), true
		case "lavalink_playing_players_total":
			l.Playing, havePlaying = int(v), true
		case "process_resident_memory_bytes":
			l.RSSBytes = int64(v)
		case "process_open_fds":
			l.OpenFDs = int64(v)
		case "process_max_fds":
			l.MaxFDs = int64(v)
		}
	}
	if err := sc.Err(); err != nil {
		return Load{}, fmt.Errorf("podmetrics: read: %w", err)
	}
	if !havePlayers || !havePlaying {
		return Load{}, fmt.Errorf("%w: lavalink_players_total and lavalink_playing_players_total", ErrMissing)
	}
	return l, nil
}

// value parses a sample value (optionally followed by a timestamp) and
// accepts only finite, non-negative numbers that fit the fields.
func value(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > math.MaxInt64/2 {
		return 0, false
	}
	return v, true
}

// Drain asks the node at baseURL to drain with the given grace period,
// authenticating with password.
func (c *Client) Drain(ctx context.Context, baseURL, password string, grace time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	body := fmt.Sprintf(`{"timeoutMs":%d}`, grace.Milliseconds())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/audionode/v1/drain", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("drain %s: %w", baseURL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: drain %s answered %d", ErrStatus, baseURL, resp.StatusCode)
	}
	return nil
}
