package app

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Secrets are the signing secrets; in dev they are generated once and kept
// in DATA_DIR/secrets.json (mode 0600).
type Secrets struct {
	JWT   string `json:"jwt_secret"`
	Token string `json:"token_secret"`
	// PayloadKeys and PayloadKeyID configure the payload codec.
	PayloadKeys  string `json:"payload_keys"`
	PayloadKeyID string `json:"payload_key_id"`
	// Decision signs the envelope of every update (DECISION_SIGNING_KEY).
	Decision string `json:"decision_signing_key"`
}

// loadSecrets takes the secrets from the configuration and, with dev, the
// missing ones from DATA_DIR/secrets.json.
func (a *App) loadSecrets(dev bool) error {
	a.Secrets = Secrets{JWT: a.Config.JWTSecret, Token: a.Config.TokenSecret, PayloadKeys: a.Config.PayloadKeys, PayloadKeyID: a.Config.PayloadKeyID,
		Decision: a.Config.DecisionSigningKey}
	if (a.Secrets.JWT != "" || a.Config.JWTJWKSURL != "") && a.Secrets.Token != "" && a.Secrets.PayloadKeys != "" && a.Secrets.Decision != "" {
		return nil
	}
	if !dev {
		return errors.New("JWT_SECRET, TOKEN_SECRET, PAYLOAD_KEYS, PAYLOAD_KEY_ID and DECISION_SIGNING_KEY are required")
	}
	stored, err := ReadSecrets(a.Config.DataDir)
	if err != nil {
		return err
	}
	if a.Secrets.JWT == "" {
		a.Secrets.JWT = stored.JWT
	}
	if a.Secrets.Token == "" {
		a.Secrets.Token = stored.Token
	}
	if a.Secrets.PayloadKeys == "" {
		a.Secrets.PayloadKeys, a.Secrets.PayloadKeyID = stored.PayloadKeys, stored.PayloadKeyID
	}
	if a.Secrets.Decision == "" {
		a.Secrets.Decision = stored.Decision
	}
	return nil
}

// ReadSecrets returns the dev secrets kept in dir/secrets.json, creating
// them (mode 0600) the first time.
func ReadSecrets(dir string) (Secrets, error) {
	path := filepath.Join(dir, "secrets.json")
	var stored Secrets
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &stored); err != nil {
			return Secrets{}, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if stored.JWT != "" && stored.Token != "" && stored.PayloadKeys != "" && stored.Decision != "" {
		return stored, nil
	}
	if stored.Decision == "" {
		stored.Decision = randomHex(32)
	}
	if stored.PayloadKeys == "" {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		stored.PayloadKeyID = "dev1"
		stored.PayloadKeys = "dev1:" + base64.StdEncoding.EncodeToString(k)
	}
	if stored.JWT == "" {
		stored.JWT = randomHex(32)
	}
	if stored.Token == "" {
		stored.Token = randomHex(32)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Secrets{}, err
	}
	b, _ := json.MarshalIndent(stored, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return Secrets{}, fmt.Errorf("write %s: %w", path, err)
	}
	return stored, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
