package ops

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"

	"github.com/saleshive/crmsync/secret"
	"github.com/saleshive/crmsync/store"
)

// Names of the files crmsync keeps in its data directory.
const (
	SQLiteFileName = "crmsync.db"
	KeyFileName    = "secret.key"
)

// StoreConfig says which database to open and where the encryption key is.
type StoreConfig struct {
	DataDir     string // holds the SQLite file and the key file
	DatabaseURL string // postgres://… selects PostgreSQL; empty selects SQLite in DataDir
	SecretKey   string // base64 AES-256 key; empty uses DataDir's key file
	// PasswordIterations overrides store.DefaultPasswordIterations (tests).
	PasswordIterations int
}

// OpenStore opens and migrates the database cfg selects: SQLite in the data
// directory, or PostgreSQL at DatabaseURL. The encryption key comes from
// SecretKey or the data directory's key file (created with mode 0600). The
// keyring it returns seals the sync engine's OAuth states.
func OpenStore(ctx context.Context, cfg StoreConfig, log *slog.Logger) (*store.DB, *secret.Keyring, error) {
	keyFile := filepath.Join(cfg.DataDir, KeyFileName)
	if cfg.DatabaseURL == "" || cfg.SecretKey == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	key, err := secret.LoadKey(cfg.SecretKey, keyFile)
	if err != nil {
		return nil, nil, err
	}
	keyring, err := secret.NewKeyring(key)
	if err != nil {
		return nil, nil, err
	}
	dsn := cfg.DatabaseURL
	if dsn == "" {
		dsn = filepath.Join(cfg.DataDir, SQLiteFileName)
	}
	db, err := store.Open(ctx, dsn, store.Options{Keyring: keyring, PasswordIterations: cfg.PasswordIterations})
	if err != nil {
		return nil, nil, fmt.Errorf("open store: %w", err)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	where := dsn
	if cfg.DatabaseURL != "" {
		where = RedactURL(cfg.DatabaseURL)
	}
	if len(applied) > 0 {
		log.Info("database migrated", slog.String("dialect", db.Dialect()), slog.Any("versions", applied))
	}
	log.Debug("store open", slog.String("dialect", db.Dialect()), slog.String("database", where))
	return db, keyring, nil
}

// RedactURL hides the password of a database URL for logs.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable database url)"
	}
	return u.Redacted()
}
