package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// format is the first byte of every sealed value, so the layout can change
// later without guessing.
const format byte = 1

// keyIDSize is how many bytes of SHA-256(key) identify the sealing key.
const keyIDSize = 4

// ErrOpen is returned (wrapped) when a sealed value does not open: it was
// tampered with, sealed with a key the keyring does not hold, or bound to
// other associated data.
var ErrOpen = errors.New("secret: sealed value does not open (tampered, wrong key or wrong associated data)")

// Keyring seals with its primary key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	primary *key
	byID    map[[keyIDSize]byte]*key
}

type key struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
}

// NewKeyring returns a keyring that seals with primary and also opens values
// sealed with any of older. Every key must be KeySize bytes.
func NewKeyring(primary []byte, older ...[]byte) (*Keyring, error) {
	kr := &Keyring{byID: make(map[[keyIDSize]byte]*key)}
	for i, raw := range append([][]byte{primary}, older...) {
		k, err := newKey(raw)
		if err != nil {
			return nil, fmt.Errorf("secret: new keyring: key %d: %w", i, err)
		}
		if i == 0 {
			kr.primary = k
		}
		if _, dup := kr.byID[k.id]; !dup {
			kr.byID[k.id] = k
		}
	}
	return kr, nil
}

func newKey(raw []byte) (*key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("key is %d bytes; it must be %d", len(raw), KeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	k := &key{aead: aead}
	copy(k.id[:], sum[:keyIDSize])
	return k, nil
}

// Seal encrypts plaintext with the primary key, bound to associatedData
// (which is not stored; the same bytes must be passed to Open). The result is
// format byte, key id, random nonce, then ciphertext and tag.
func (kr *Keyring) Seal(plaintext, associatedData []byte) ([]byte, error) {
	k := kr.primary
	nonceSize := k.aead.NonceSize()
	out := make([]byte, 1+keyIDSize+nonceSize, 1+keyIDSize+nonceSize+len(plaintext)+k.aead.Overhead())
	out[0] = format
	copy(out[1:], k.id[:])
	nonce := out[1+keyIDSize:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secret: seal: read nonce: %w", err)
	}
	return k.aead.Seal(out, nonce, plaintext, associatedData), nil
}

// Open decrypts a value made by Seal with any key of the keyring. It returns
// an error wrapping ErrOpen if the value was altered, was sealed with an
// unknown key, or associatedData differs from what it was sealed with.
func (kr *Keyring) Open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) < 1+keyIDSize || sealed[0] != format {
		return nil, fmt.Errorf("secret: open: unknown format: %w", ErrOpen)
	}
	var id [keyIDSize]byte
	copy(id[:], sealed[1:])
	k, ok := kr.byID[id]
	if !ok {
		return nil, fmt.Errorf("secret: open: sealed with a key this keyring does not hold: %w", ErrOpen)
	}
	nonceSize := k.aead.NonceSize()
	rest := sealed[1+keyIDSize:]
	if len(rest) < nonceSize+k.aead.Overhead() {
		return nil, fmt.Errorf("secret: open: value too short: %w", ErrOpen)
	}
	plaintext, err := k.aead.Open(nil, rest[:nonceSize], rest[nonceSize:], associatedData)
	if err != nil {
		// The AEAD error says nothing secret, but ErrOpen says it better.
		return nil, fmt.Errorf("secret: open: authentication failed: %w", ErrOpen)
	}
	return plaintext, nil
}

// GenerateKey returns a new random key of KeySize bytes.
func GenerateKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("secret: generate key: %w", err)
	}
	return k, nil
}

// EncodeKey returns the text form of a key that ParseKey reads and key
// files hold: standard base64.
func EncodeKey(k []byte) string {
	return base64.StdEncoding.EncodeToString(k)
}

// ParseKey reads a key written as base64 (standard or URL alphabet, padded
// or not) or as 64 hex digits, ignoring surrounding space. The error never
// echoes the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secret: parse key: the key is empty")
	}
	if len(s) == hex.EncodedLen(KeySize) {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("secret: parse key: the key decodes to %d bytes; it must be %d (generate one with `openssl rand -base64 32`)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("secret: parse key: the key is neither base64 nor 64 hex digits of a %d-byte key", KeySize)
}

// LoadOrCreateKeyFile returns the key stored in the file at path, creating
// the file with a new random key and mode 0600 if it does not exist. It
// refuses an existing file that group or others can read or write.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		k, err := GenerateKey()
		if err == nil {
			_, err = f.WriteString(EncodeKey(k) + "\n")
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("secret: create key file %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("secret: create key file %s: %w", path, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret: load key file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret: load key file %s: mode %04o lets other users read it; run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret: load key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret: load key file %s: %w", path, err)
	}
	return k, nil
}

// LoadKey returns the key from envValue (the CRMSYNC_SECRET_KEY setting) if
// it is set, otherwise from the key file at path, created on first use.
func LoadKey(envValue, path string) ([]byte, error) {
	if strings.TrimSpace(envValue) != "" {
		return ParseKey(envValue)
	}
	if path == "" {
		return nil, errors.New("secret: load key: no key given and no key file path")
	}
	return LoadOrCreateKeyFile(path)
}
