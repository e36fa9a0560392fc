package store_test

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/complaint-handling/complaints/internal/store"
)

// TestClaimIdempotencyKey: the first use records the key, the same
// request again is a replay, another request under it is ErrKeyReused; a
// released key is free for a corrected request; keys of other scopes do
// not meet.
func TestClaimIdempotencyKey(t *testing.T) {
	t.Parallel()
	st := env.NewStore(t)
	h := func(s string) []byte { b := sha256.Sum256([]byte(s)); return b[:] }
	scope, other := h("staff:ann\x00POST /v1/complaints/x/notes\x00k1"), h("staff:ava\x00POST /v1/complaints/x/notes\x00k1")
	steps := []struct {
		name       string
		scope, fp  []byte
		release    bool
		wantFirst  bool
		wantReused bool
	}{
		{"first use", scope, h("note one"), false, true, false},
		{"same request", scope, h("note one"), false, false, false},
		{"another request", scope, h("note two"), false, false, true},
		{"another caller", other, h("note two"), false, true, false},
		{"released", scope, h("note one"), true, false, false},
		{"corrected request", scope, h("note two"), false, true, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.release {
				if err := st.ReleaseIdempotencyKey(t.Context(), s.scope, s.fp); err != nil {
					t.Fatal(err)
				}
				return
			}
			first, err := st.ClaimIdempotencyKey(t.Context(), s.scope, s.fp)
			if errors.Is(err, store.ErrKeyReused) != s.wantReused || (err != nil && !s.wantReused) {
				t.Fatalf("err = %v, want reused %v", err, s.wantReused)
			}
			if first != s.wantFirst {
				t.Errorf("first = %v, want %v", first, s.wantFirst)
			}
		})
	}
}
