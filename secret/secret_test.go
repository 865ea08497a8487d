package secret_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saleshive/crmsync/secret"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustKeyring(t *testing.T, primary []byte, older ...[]byte) *secret.Keyring {
	t.Helper()
	kr, err := secret.NewKeyring(primary, older...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestKeyring_SealOpen(t *testing.T) {
	kr := mustKeyring(t, mustKey(t))
	plain := []byte("refresh-token-ABC123")
	ad := []byte("connection 7")

	t.Run("OK", func(t *testing.T) {
		sealed, err := kr.Seal(plain, ad)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, plain) {
			t.Fatal("sealed value contains the plaintext")
		}
		got, err := kr.Open(sealed, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, want %q", got, plain)
		}
	})

	t.Run("FreshNonceEachTime", func(t *testing.T) {
		a, _ := kr.Seal(plain, ad)
		b, _ := kr.Seal(plain, ad)
		if bytes.Equal(a, b) {
			t.Fatal("two seals of the same plaintext are identical")
		}
	})

	t.Run("ErrTampered", func(t *testing.T) {
		sealed, err := kr.Seal(plain, ad)
		if err != nil {
			t.Fatal(err)
		}
		for i := range sealed {
			bad := bytes.Clone(sealed)
			bad[i] ^= 0x01
			if _, err := kr.Open(bad, ad); !errors.Is(err, secret.ErrOpen) {
				t.Fatalf("flipping byte %d: Open error = %v, want ErrOpen", i, err)
			}
		}
		if _, err := kr.Open(sealed[:len(sealed)-1], ad); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("truncated: Open error = %v, want ErrOpen", err)
		}
		if _, err := kr.Open(nil, ad); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("empty: Open error = %v, want ErrOpen", err)
		}
	})

	t.Run("ErrWrongAssociatedData", func(t *testing.T) {
		sealed, _ := kr.Seal(plain, ad)
		if _, err := kr.Open(sealed, []byte("connection 8")); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("Open error = %v, want ErrOpen", err)
		}
	})

	t.Run("ErrWrongKey", func(t *testing.T) {
		sealed, _ := kr.Seal(plain, ad)
		other := mustKeyring(t, mustKey(t))
		_, err := other.Open(sealed, ad)
		if !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("Open error = %v, want ErrOpen", err)
		}
		if strings.Contains(err.Error(), string(plain)) {
			t.Fatal("error leaks the plaintext")
		}
	})
}

func TestKeyring_Rotation(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	sealedOld, err := mustKeyring(t, oldKey).Seal([]byte("s"), nil)
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustKeyring(t, newKey, oldKey)
	if got, err := rotated.Open(sealedOld, nil); err != nil || string(got) != "s" {
		t.Fatalf("open old value after rotation = %q, %v", got, err)
	}
	sealedNew, _ := rotated.Seal([]byte("s"), nil)
	if _, err := mustKeyring(t, oldKey).Open(sealedNew, nil); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("old keyring opened a value sealed with the new primary key: %v", err)
	}
}

func TestNewKeyring_ErrKeySize(t *testing.T) {
	if _, err := secret.NewKeyring(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
	if _, err := secret.NewKeyring(make([]byte, 32), make([]byte, 31)); err == nil {
		t.Fatal("31-byte older key accepted")
	}
}

func TestParseKey(t *testing.T) {
	k := mustKey(t)
	for name, s := range map[string]string{
		"base64": secret.EncodeKey(k),
		"hex":    hex.EncodeToString(k),
		"spaces": "  " + secret.EncodeKey(k) + "\n",
		"rawurl": strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(secret.EncodeKey(k)), "="),
	} {
		got, err := secret.ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("%s: ParseKey = %x, %v; want %x", name, got, err, k)
		}
	}
	for name, s := range map[string]string{"empty": "", "short": secret.EncodeKey(k[:16]), "garbage": "not a key!"} {
		_, err := secret.ParseKey(s)
		if err == nil {
			t.Errorf("%s: ParseKey accepted %q", name, s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("%s: error echoes the input", name)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	k1, err := secret.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode = %04o, want 0600", perm)
	}
	k2, err := secret.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Fatal("second load returned a different key")
	}

	t.Run("ErrWorldReadable", func(t *testing.T) {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := secret.LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("error = %v, want a chmod 600 hint", err)
		}
	})
}

func TestLoadKey(t *testing.T) {
	k := mustKey(t)
	path := filepath.Join(t.TempDir(), "unused.key")
	got, err := secret.LoadKey(secret.EncodeKey(k), path)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("LoadKey(env) = %x, %v", got, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("LoadKey created a key file although the environment held a key")
	}
	fromFile, err := secret.LoadKey("", path)
	if err != nil || len(fromFile) != secret.KeySize {
		t.Fatalf("LoadKey(file) = %x, %v", fromFile, err)
	}
}
