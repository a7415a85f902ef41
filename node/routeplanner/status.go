package routeplanner

import (
	"cmp"
	"math/big"
	"slices"
	"strings"
	"time"
)

// Status is the body of GET /v4/routeplanner/status.
type Status struct {
	Class   string  `json:"class"`
	Details Details `json:"details"`
}

// Details carries the common fields and the class-specific ones; fields a
// class does not have are omitted.
type Details struct {
	IPBlock             IPBlock          `json:"ipBlock"`
	FailingAddresses    []FailingAddress `json:"failingAddresses"`
	RotateIndex         *string          `json:"rotateIndex,omitempty"`
	IPIndex             *string          `json:"ipIndex,omitempty"`
	CurrentAddress      *string          `json:"currentAddress,omitempty"`
	CurrentAddressIndex *string          `json:"currentAddressIndex,omitempty"`
	BlockIndex          *string          `json:"blockIndex,omitempty"`
}

// IPBlock describes the configured blocks: the Java address type of the
// first block and the total size as a decimal string.
type IPBlock struct {
	Type string `json:"type"`
	Size string `json:"size"`
}

// FailingAddress is one banned address.
type FailingAddress struct {
	Address   string `json:"failingAddress"`   // Java InetAddress.toString(): "/1.2.3.4"
	Timestamp int64  `json:"failingTimestamp"` // ms since the epoch
	Time      string `json:"failingTime"`      // Java Date.toString()
}

// javaDate is the layout of java.util.Date.toString().
const javaDate = "Mon Jan 02 15:04:05 MST 2006"

// Status reports the planner's state.
func (p *Planner) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	typ := "Inet4Address"
	if p.blocks[0].prefix.Addr().Is6() {
		typ = "Inet6Address"
	}
	d := Details{IPBlock: IPBlock{Type: typ, Size: p.total.String()}, FailingAddresses: []FailingAddress{}}
	now := p.now()
	for a, t := range p.bans {
		if now.Sub(t) >= BanDuration {
			continue
		}
		d.FailingAddresses = append(d.FailingAddresses, FailingAddress{
			Address: "/" + a.String(), Timestamp: t.UnixMilli(), Time: t.Format(javaDate),
		})
	}
	slices.SortFunc(d.FailingAddresses, func(a, b FailingAddress) int {
		return cmp.Or(cmp.Compare(a.Timestamp, b.Timestamp), strings.Compare(a.Address, b.Address))
	})
	str := func(n *big.Int) *string { s := n.String(); return &s }
	switch p.strategy {
	case RotateOnBan:
		d.RotateIndex, d.IPIndex = str(p.rotateIndex), str(p.ipIndex)
		cur := ""
		if p.current.IsValid() {
			cur = "/" + p.current.String()
		}
		d.CurrentAddress = &cur
	case NanoSwitch:
		d.CurrentAddressIndex = str(p.lastIndex)
	case RotatingNanoSwitch:
		d.BlockIndex = str(big.NewInt(int64(p.blockIndex)))
		d.CurrentAddressIndex = str(p.lastIndex)
	}
	return Status{Class: p.class, Details: d}
}

// SetClock replaces the clock (tests).
func (p *Planner) SetClock(now func() time.Time) {
	p.mu.Lock()
	p.now = now
	p.mu.Unlock()
}
