// Package idgen makes Cohort's IDs: 63-bit integers that sort by creation time
// and are unique across processes without coordination.
//
// Layout: 41 bits of milliseconds since 2024-01-01 (to 2093), 10 bits of node
// number, 12 bits of sequence within the millisecond. The node number is drawn
// at random per process unless configured; two processes collide only when they
// draw the same node and the same millisecond and sequence.
package idgen

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

const (
	epochMs  = 1704067200000 // 2024-01-01T00:00:00Z
	nodeBits = 10
	seqBits  = 12
	maxSeq   = 1<<seqBits - 1
)

// Generator hands out IDs. It is safe for concurrent use.
type Generator struct {
	mu     sync.Mutex
	node   int64
	lastMs int64
	seq    int64
	now    func() time.Time
}

// New returns a Generator for node (0..1023); node < 0 draws one at random.
func New(node int) *Generator {
	if node < 0 {
		var b [2]byte
		_, _ = rand.Read(b[:])
		node = int(binary.BigEndian.Uint16(b[:]) & (1<<nodeBits - 1))
	}
	return &Generator{node: int64(node) & (1<<nodeBits - 1), now: time.Now}
}

// Next returns a new ID. When more than 4096 IDs are asked for in one
// millisecond, or the clock steps back, it borrows from the next millisecond.
func (g *Generator) Next() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := g.now().UnixMilli() - epochMs
	if ms <= g.lastMs {
		ms = g.lastMs
		g.seq++
		if g.seq > maxSeq {
			ms++
			g.seq = 0
		}
	} else {
		g.seq = 0
	}
	g.lastMs = ms
	return ms<<(nodeBits+seqBits) | g.node<<seqBits | g.seq
}

// FirstAt returns the smallest ID that any generator makes at t or later
// (given clocks that agree), for ranges such as "rows created since t".
func FirstAt(t time.Time) int64 {
	ms := t.UnixMilli() - epochMs
	if ms < 0 {
		return 0
	}
	return ms << (nodeBits + seqBits)
}

// Time returns the creation time encoded in id.
func Time(id int64) time.Time {
	return time.UnixMilli(id>>(nodeBits+seqBits) + epochMs).UTC()
}
