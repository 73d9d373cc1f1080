package admin

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// crockford is Crockford's base32 alphabet in lower case: ids stay readable and
// are safe in URLs, file names and DNS labels.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns a new unique id such as "team_01jd8x2k3m4n5p6q7r8s9t0vwx":
// the prefix, an underscore and 26 characters encoding a 48-bit millisecond
// timestamp followed by 80 random bits (the ULID layout). Ids of one kind sort
// by creation time to the millisecond, which gives stable pagination order.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+).
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
