package lavalink

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// Info is the body of GET /v4/info.
type Info struct {
	Version        Version  `json:"version"`
	BuildTime      int64    `json:"buildTime"` // Unix ms
	Git            Git      `json:"git"`
	JVM            string   `json:"jvm"`        // we report the Go version here
	Lavaplayer     string   `json:"lavaplayer"` // we report our media pipeline version
	SourceManagers []string `json:"sourceManagers"`
	Filters        []string `json:"filters"`
	Plugins        []Plugin `json:"plugins"`
}

// MarshalJSON writes empty lists as [] rather than null.
func (i Info) MarshalJSON() ([]byte, error) {
	type plain Info
	if i.SourceManagers == nil {
		i.SourceManagers = []string{}
	}
	if i.Filters == nil {
		i.Filters = []string{}
	}
	if i.Plugins == nil {
		i.Plugins = []Plugin{}
	}
	return json.Marshal(plain(i))
}

// Version is a parsed semantic version.
type Version struct {
	Semver     string  `json:"semver"`
	Major      int     `json:"major"`
	Minor      int     `json:"minor"`
	Patch      int     `json:"patch"`
	PreRelease *string `json:"preRelease"`
}

var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$`)

// ParseVersion splits semver like the reference: anything that does not match
// MAJOR.MINOR.PATCH[-PRE] (including a +build suffix) gives zeros.
func ParseVersion(semver string) Version {
	v := Version{Semver: semver}
	m := semverRE.FindStringSubmatch(semver)
	if m == nil {
		return v
	}
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	v.Patch, _ = strconv.Atoi(m[3])
	if m[4] != "" {
		pre := m[4]
		v.PreRelease = &pre
	}
	return v
}

// Git describes the commit the node was built from.
type Git struct {
	Branch     string `json:"branch"`
	Commit     string `json:"commit"`
	CommitTime int64  `json:"commitTime"` // Unix ms
}

// Plugin is one entry of Info.Plugins.
type Plugin struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Stats is the body of GET /v4/stats and, with FrameStats, the payload of the
// stats WebSocket message (see StatsMessage).
type Stats struct {
	Players        int    `json:"players"`
	PlayingPlayers int    `json:"playingPlayers"`
	Uptime         int64  `json:"uptime"` // ms
	Memory         Memory `json:"memory"`
	CPU            CPU    `json:"cpu"`
}

// Memory is in bytes.
type Memory struct {
	Free       int64 `json:"free"`
	Used       int64 `json:"used"`
	Allocated  int64 `json:"allocated"`
	Reservable int64 `json:"reservable"`
}

// CPU holds load figures in 0..1.
type CPU struct {
	Cores        int     `json:"cores"`
	SystemLoad   float64 `json:"systemLoad"`
	LavalinkLoad float64 `json:"lavalinkLoad"`
}

// FrameStats are per-session averages over the last full minute.
type FrameStats struct {
	Sent    int `json:"sent"`
	Nulled  int `json:"nulled"`
	Deficit int `json:"deficit"`
}

// ErrorResponse is the body of every REST error (Spring Boot's error
// attributes). Trace is only present when the request had ?trace=true.
type ErrorResponse struct {
	Timestamp int64  `json:"timestamp"` // Unix ms
	Status    int    `json:"status"`
	Error     string `json:"error"` // reason phrase, e.g. "Not Found"
	Trace     string `json:"trace,omitempty"`
	Message   string `json:"message"`
	Path      string `json:"path"`
}

// NewErrorResponse builds the error body for status at time now.
func NewErrorResponse(now time.Time, status int, message, path string) ErrorResponse {
	return ErrorResponse{
		Timestamp: now.UnixMilli(),
		Status:    status,
		Error:     http.StatusText(status),
		Message:   message,
		Path:      path,
	}
}
