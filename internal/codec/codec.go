// Package codec encrypts Temporal payloads (workflow inputs, results,
// activity arguments, update and query values) with AES-256-GCM, so the
// Temporal database holds no readable personal data. The key id travels in
// each payload's metadata, so keys can be rotated: new payloads use the
// current key, old ones are still read with the retired keys.
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

// Codec is an AES-GCM converter.PayloadCodec.
type Codec struct {
	currentID string
	keys      map[string]cipher.AEAD
}

// New builds a codec that encrypts with key currentID and decrypts with any
// of keys (id -> 32-byte key), which must include currentID.
func New(currentID string, keys map[string][]byte) (*Codec, error) {
	c := &Codec{currentID: currentID, keys: map[string]cipher.AEAD{}}
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

// Decode decrypts encrypted payloads and passes others through unchanged.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys[id]
		if !ok {
			return nil, fmt.Errorf("codec: no key %q to decrypt a payload", id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, errors.New("codec: payload too short")
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec: decrypt with key %q: %w", id, err)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("codec: unmarshal: %w", err)
		}
		out[i] = &dec
	}
	return out, nil
}

// DataConverter wraps the SDK's default converter with c.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}
