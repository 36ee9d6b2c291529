package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// secretFile is the name, inside the data dir, of the secret parleyd
// generates when PARLEY_SECRET_KEY is unset. `parley token --data-dir` reads
// the same file. Its content (64 hex characters, trimmed) is the key.
const secretFile = "secret.key"

// loadSecret returns cfg.Secret, or the secret kept in the data dir,
// generating it (32 random bytes, hex encoded, mode 0600) on first start.
func loadSecret(cfg config, log *slog.Logger) ([]byte, error) {
	if len(cfg.Secret) > 0 {
		return cfg.Secret, nil
	}
	path := filepath.Join(cfg.DataDir, secretFile)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		key := []byte(strings.TrimSpace(string(data)))
		if len(key) < minSecretLen {
			return nil, fmt.Errorf("secret in %s is %d bytes; need %d: delete the file to have a new one generated", path, len(key), minSecretLen)
		}
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never returns an error since Go 1.24
	key := []byte(hex.EncodeToString(raw))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	if _, err := f.Write(append(key, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	log.Info("generated a new secret key; set PARLEY_SECRET_KEY to manage it yourself", "path", path)
	return key, nil
}
