package store_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/internal/store"
)

// TestClaimIdempotencyKey: the first use records the key, the same
// request again is a replay, another request under it is ErrKeyReused; a
// released key is free for a corrected request; keys of other scopes do
// not meet.
func TestClaimIdempotencyKey(t *testing.T) {
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

// TestIdempotencyKeysExpire: a key older than IdempotencyKeyRetention is
// free again (another request under it is a first use, not refused), and
// PruneIdempotencyKeys deletes the old keys, in batches, and only them.
func TestIdempotencyKeysExpire(t *testing.T) {
	st := env.NewStore(t)
	ctx := t.Context()
	h := func(s string) []byte { b := sha256.Sum256([]byte(s)); return b[:] }
	age := func(scope []byte, by time.Duration) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, `UPDATE idempotency_requests SET created_at = now() - make_interval(secs => $2) WHERE scope_key = $1`,
			scope, by.Seconds()); err != nil {
			t.Fatal(err)
		}
	}
	old, fresh := h("old"), h("fresh")
	for _, s := range [][]byte{old, fresh} {
		if _, err := st.ClaimIdempotencyKey(ctx, s, h("one")); err != nil {
			t.Fatal(err)
		}
	}
	age(old, store.IdempotencyKeyRetention+time.Minute)
	age(fresh, store.IdempotencyKeyRetention-time.Minute)
	if _, err := st.ClaimIdempotencyKey(ctx, fresh, h("two")); !errors.Is(err, store.ErrKeyReused) {
		t.Errorf("a key inside its retention with another request: %v, want ErrKeyReused", err)
	}
	if first, err := st.ClaimIdempotencyKey(ctx, old, h("two")); err != nil || !first {
		t.Errorf("an expired key with another request: first %v, err %v; want a first use", first, err)
	}
	if _, err := st.ClaimIdempotencyKey(ctx, old, h("one")); !errors.Is(err, store.ErrKeyReused) {
		t.Errorf("the expired key, claimed again, remembers its new request: %v", err)
	}

	// Five expired keys are deleted two at a time; the fresh ones stay.
	for i := range 5 {
		s := h(fmt.Sprintf("expired-%d", i))
		if _, err := st.ClaimIdempotencyKey(ctx, s, h("one")); err != nil {
			t.Fatal(err)
		}
		age(s, store.IdempotencyKeyRetention+time.Hour)
	}
	var total int64
	for _, want := range []int64{2, 2, 1, 0} {
		n, err := st.PruneIdempotencyKeys(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("pruned %d, want %d", n, want)
		}
		total += n
	}
	var left int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM idempotency_requests`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if total != 5 || left != 2 {
		t.Errorf("pruned %d keys, %d left; want 5 pruned and the 2 recent keys left", total, left)
	}
}
