// Package codec encrypts Temporal payloads (workflow inputs, results,
// activity arguments, update and query values) with AES-256-GCM, so the
// Temporal database holds no readable personal data. The key id travels in
// each payload's metadata, so keys can be rotated: new payloads use the
// current key, old ones are still read with the retired keys.
//
// Decoding is strict: a payload that is not encrypted with a known key is
// refused (ErrRefused), because anyone who can reach the Temporal frontend
// could otherwise send the workers plaintext (a forged update, a forged
// activity result). Options.AcceptPlaintext lets plaintext through for a
// migration window, counted.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata keys and the encoding of encrypted payloads.
const (
	MetadataEncoding = "encoding"
	MetadataKeyID    = "encryption-key-id"
	Encoding         = "binary/encrypted"
)

// ErrRefused is wrapped by every error of Decode about a payload it will not
// decode: plaintext, an unknown key, or one that fails authentication.
var ErrRefused = errors.New("codec: payload refused")

// Reasons a payload is refused, the reason label of
// complaints_codec_rejected_payloads_total.
const (
	ReasonPlaintext  = "plaintext"
	ReasonUnknownKey = "unknown_key"
	ReasonTampered   = "tampered"
)

// Options are the codec's decoding policy.
type Options struct {
	// AcceptPlaintext lets unencrypted payloads through on decode (the
	// PAYLOAD_ACCEPT_PLAINTEXT migration window); each one is counted.
	AcceptPlaintext bool
	// Metrics counts refused and let-through payloads; nil counts nothing.
	Metrics *Metrics
}

// Codec is an AES-GCM converter.PayloadCodec.
type Codec struct {
	currentID string
	keys      map[string]cipher.AEAD
	opts      Options
}

// New builds a codec that encrypts with key currentID and decrypts with any
// of keys (id -> 32-byte key), which must include currentID. Without
// options it refuses plaintext and counts nothing.
func New(currentID string, keys map[string][]byte, opts ...Options) (*Codec, error) {
	c := &Codec{currentID: currentID, keys: map[string]cipher.AEAD{}}
	if len(opts) > 0 {
		c.opts = opts[0]
	}
	for id, k := range keys {
		if len(k) != 32 {
			return nil, fmt.Errorf("codec: key %q is %d bytes, want 32", id, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		c.keys[id] = aead
	}
	if _, ok := c.keys[currentID]; !ok {
		return nil, fmt.Errorf("codec: no key with the current id %q", currentID)
	}
	return c, nil
}

// ParseKeys reads "id:base64key" pairs separated by commas.
func ParseKeys(s string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok || id == "" {
			return nil, errors.New("codec: keys must be id:base64 pairs separated by commas")
		}
		k, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q is not base64", id)
		}
		out[id] = k
	}
	return out, nil
}

// Encode encrypts each payload with the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.keys[c.currentID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: marshal: %w", err)
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{MetadataEncoding: []byte(Encoding), MetadataKeyID: []byte(c.currentID)},
			Data:     aead.Seal(nonce, nonce, plain, []byte(c.currentID)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads. A payload that is not encrypted is
// refused (unless Options.AcceptPlaintext), except an empty one (no
// metadata, no data), which carries nothing an attacker could use: the
// SDK's converters refuse to decode it into a value. An encrypted payload
// under an unknown key, or one that fails authentication, is refused
// always. Every refusal wraps ErrRefused and is counted by reason.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != Encoding {
			if len(p.GetMetadata()) == 0 && len(p.GetData()) == 0 {
				out[i] = p
				continue
			}
			if !c.opts.AcceptPlaintext {
				return nil, c.refuse(ReasonPlaintext, "an unencrypted payload (encoding %q)", p.GetMetadata()[MetadataEncoding])
			}
			c.opts.Metrics.plaintextAccepted()
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys[id]
		if !ok {
			return nil, c.refuse(ReasonUnknownKey, "no key %q to decrypt a payload", id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, c.refuse(ReasonTampered, "a payload too short for key %q", id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, c.refuse(ReasonTampered, "a payload that fails authentication with key %q", id)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, c.refuse(ReasonTampered, "a payload that does not unmarshal: %v", err)
		}
		out[i] = &dec
	}
	return out, nil
}

func (c *Codec) refuse(reason, format string, args ...any) error {
	c.opts.Metrics.rejected(reason)
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// DataConverter wraps the SDK's default converter with c.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}
