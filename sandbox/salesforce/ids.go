package salesforce

import "strings"

// Key prefixes of the objects the sandbox serves. Salesforce record ids start with the three
// characters of their object's key prefix.
const (
	PrefixContact     = "003"
	PrefixLead        = "00Q"
	PrefixTask        = "00T"
	PrefixEvent       = "00U"
	PrefixUser        = "005"
	PrefixOrg         = "00D"
	PrefixCustomField = "00N"
	PrefixAccount     = "001"
	PrefixProfile     = "00e"
	PrefixPermSet     = "0PS"
	PrefixFieldPerms  = "01k"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idPod is the two-character instance ("pod") part of every id the sandbox mints; real ids
// carry their server's identifier in characters 4-5 and a reserved character in 6.
const idPod = "8d0"

// NewID returns the 18-character id of the n-th record with the given key prefix: prefix,
// pod, nine base-62 digits of n, then Salesforce's three-character case-safe suffix.
func NewID(prefix string, n uint64) string {
	var digits [9]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = base62[n%62]
		n /= 62
	}
	id15 := prefix + idPod + string(digits[:])
	return id15 + idSuffix(id15)
}

// idSuffix computes the 3-character suffix that makes a 15-character id case-insensitively
// unique: each 5-character chunk gives a 5-bit mask of which characters are upper-case A-Z,
// mapped onto "A".."Z","0".."5".
func idSuffix(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var sb strings.Builder
	for chunk := 0; chunk < 3; chunk++ {
		mask := 0
		for i := 0; i < 5; i++ {
			c := id15[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				mask |= 1 << i
			}
		}
		sb.WriteByte(alphabet[mask])
	}
	return sb.String()
}

// NormalizeID returns the 18-character form of a 15- or 18-character Salesforce id, and
// false when s is not shaped like an id (wrong length, characters outside base 62, or an
// 18-character id whose suffix does not match).
func NormalizeID(s string) (string, bool) {
	if len(s) != 15 && len(s) != 18 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return "", false
		}
	}
	full := s[:15] + idSuffix(s[:15])
	if len(s) == 18 && !strings.EqualFold(s[15:], full[15:]) {
		return "", false
	}
	return full, true
}

// checkIDPrefix reports whether id is a well-formed id of one of the given prefixes and
// returns its 18-character form.
func checkIDPrefix(id string, prefixes ...string) (string, bool) {
	full, ok := NormalizeID(id)
	if !ok {
		return "", false
	}
	for _, p := range prefixes {
		if full[:3] == p {
			return full, true
		}
	}
	return "", false
}
