package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// TimeOrderedID is now in milliseconds (6 bytes) followed by n random bytes, in hex. A
// table keyed by such ids gets each new row beside the last ones, at the end of its
// index, instead of on a random page: under load the rows of one commit share pages.
// The prefix tells when the id was drawn; the random bytes make it unique.
func TimeOrderedID(now time.Time, n int) (string, error) {
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	b := make([]byte, 6+n)
	copy(b, ms[2:])
	if _, err := rand.Read(b[6:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
