package admin

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// last is the previous id's time and random part: ids made in the same
// millisecond by one process increment the random part, so they sort in the
// order they were made (the monotonic ULID rule).
var last struct {
	sync.Mutex
	ms   uint64
	rand [10]byte
}

// crockford is Crockford's base32 alphabet in lower case: ids stay readable and
// are safe in URLs, file names and DNS labels.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns a new unique id such as "team_01jd8x2k3m4n5p6q7r8s9t0vwx":
// the prefix, an underscore and 26 characters encoding a 48-bit millisecond
// timestamp followed by 80 random bits (the ULID layout). Ids of one kind sort
// by creation time, and within one process in creation order, which gives
// stable pagination order.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	binary.BigEndian.PutUint64(b[:8], ms<<16)
	last.Lock()
	if ms == last.ms && increment(last.rand[:]) {
		copy(b[6:], last.rand[:])
	} else {
		_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+).
	}
	last.ms = ms
	copy(last.rand[:], b[6:])
	last.Unlock()
	var out [26]byte
	// 128 bits as 26 base32 digits: the first digit carries the top 3 bits.
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return prefix + "_" + string(out[:])
}

// increment adds one to a big-endian number; false when it overflows.
func increment(b []byte) bool {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return true
		}
	}
	return false
}

// Id prefixes, one per kind of object.
const (
	prefixUser       = "usr"
	prefixTeam       = "team"
	prefixProject    = "prj"
	prefixDeployment = "dep"
	prefixBuild      = "bld"
	prefixServer     = "srv"
	prefixToken      = "tok"
	prefixAudit      = "aud"
)
