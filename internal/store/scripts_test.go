package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/store"
)

// TestSeededScripts checks the migration's seeded scripts: every stage has
// an approved script in both languages, and each passes the checks a
// proposal must pass (no unknown or malformed variable).
func TestSeededScripts(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	got, err := st.Scripts(ctx, store.ScriptFilter{Status: complaint.ScriptApproved})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range got {
		have[s.Stage+"/"+s.Language] = true
		if err := complaint.ValidateScript(complaint.ScriptDraft{Key: s.Key, Stage: s.Stage, Category: s.Category, Language: s.Language, Title: s.Title, Body: s.Body}); err != nil {
			t.Errorf("seeded script %s: %v", s.Key, err)
		}
	}
	for _, stage := range complaint.ScriptStages() {
		for _, lang := range complaint.ScriptLanguages() {
			if !have[stage+"/"+lang] {
				t.Errorf("no approved %s script in %s", stage, lang)
			}
		}
	}
}

// TestScriptVersions proposes, approves and edits a script: a proposal is
// not usable until approved, its proposer cannot approve it, an edit is a
// new version that leaves the approved one usable until it is approved in
// turn, and the old version stays readable; every step is in the trail.
func TestScriptVersions(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	d := complaint.ScriptDraft{Stage: complaint.StageRefusal, Category: "billing", Language: "en", Title: "No daily calls", Body: "Dear {customer_name}, we cannot call you every day."}
	v1, err := st.ProposeScript(ctx, d, "agent-ann")
	if err != nil {
		t.Fatal(err)
	}
	if v1.Key != "refusal-en-1" || v1.Version != 1 || v1.Status != complaint.ScriptProposed {
		t.Fatalf("proposed = %+v", v1)
	}
	if _, err := st.ApprovedScript(ctx, v1.Key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unapproved script is usable: %v", err)
	}
	if _, err := st.ApproveScript(ctx, v1.Key, 1, "agent-ann"); !errors.Is(err, store.ErrOwnProposal) {
		t.Errorf("own approval: %v, want ErrOwnProposal", err)
	}
	if _, err := st.ApproveScript(ctx, v1.Key, 1, "sup-sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApproveScript(ctx, v1.Key, 1, "sup-sue"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second approval: %v, want ErrConflict", err)
	}
	d.Key, d.Body = v1.Key, "Dear {customer_name}, we remind you as the rules say, not every day."
	v2, err := st.ProposeScript(ctx, d, "agent-ann")
	if err != nil || v2.Version != 2 {
		t.Fatalf("edit = %+v, %v", v2, err)
	}
	if a, err := st.ApprovedScript(ctx, v1.Key); err != nil || a.Version != 1 {
		t.Errorf("while v2 is proposed the usable version = %d, %v; want 1", a.Version, err)
	}
	if _, err := st.ApproveScript(ctx, v1.Key, 2, "sup-sam"); err != nil {
		t.Fatal(err)
	}
	vs, err := st.ScriptVersions(ctx, v1.Key)
	if err != nil || len(vs) != 2 || vs[0].Status != complaint.ScriptApproved || vs[1].Status != complaint.ScriptSuperseded || vs[1].Body != v1.Body {
		t.Errorf("versions = %+v, %v", vs, err)
	}
	other := d
	other.Language = "zh"
	if _, err := st.ProposeScript(ctx, other, "agent-ann"); !errors.Is(err, store.ErrScriptMismatch) {
		t.Errorf("another language under the same key: %v, want ErrScriptMismatch", err)
	}
	evs, err := st.ScriptEvents(ctx, v1.Key)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range evs {
		trail = append(trail, fmt.Sprintf("%s v%d by %s", e.Type, e.Version, e.Actor))
	}
	want := []string{"proposed v1 by agent-ann", "approved v1 by sup-sam", "proposed v2 by agent-ann", "superseded v1 by sup-sam", "approved v2 by sup-sam"}
	if fmt.Sprint(trail) != fmt.Sprint(want) {
		t.Errorf("trail = %v, want %v", trail, want)
	}
	// The application's role cannot rewrite the scripts' trail.
	if _, err := st.Pool.Exec(ctx, `DELETE FROM script_events WHERE script_key = $1`, v1.Key); err == nil {
		t.Error("the application deleted the scripts' audit trail")
	}
	list, err := st.Scripts(ctx, store.ScriptFilter{Stage: complaint.StageRefusal, Category: "billing", Language: "en", Status: complaint.ScriptApproved})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range list {
		keys = append(keys, s.Key)
	}
	if fmt.Sprint(keys) != "[refusal-en refusal-en-1]" {
		t.Errorf("approved refusal scripts for billing in en = %v", keys)
	}
}

// TestPracticeReports checks the script usage, the appeal rate per
// refusal script and the abuse report against figures computed here from
// the generated events.
func TestPracticeReports(t *testing.T) {
	st := env.NewStore(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 5))
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	type use struct {
		key     string
		version int
	}
	uses, edited := map[use]int{}, map[use]int{}
	refusals, appealed := map[string]int{}, map[string]int{}
	type who struct{ team, by string }
	abuse := map[who]int{}
	for i := range 60 {
		team := []string{"billing", "delivery"}[i%2]
		var id string
		if err := st.Pool.QueryRow(ctx, `INSERT INTO cases (id, case_number, workflow_id, tracking_token_hash, customer_id, customer_name, channel, subject, description,
    category, status, received_at, team_id) VALUES (gen_random_uuid(), $1, $1, convert_to($1, 'UTF8'), 'gen', 'Gen', 'web', 's', 'd', 'billing', 'investigating', $2, $3) RETURNING id`,
			fmt.Sprintf("PRC-%06d", i), base, team).Scan(&id); err != nil {
			t.Fatal(err)
		}
		seq := 10
		event := func(typ string, payload string, args ...any) {
			seq++
			if _, err := st.Pool.Exec(ctx, `INSERT INTO case_events (case_id, seq, type, actor, at, payload) VALUES ($1, $2, $3, 'x', $4, `+payload+`)`,
				append([]any{id, seq, typ, base.Add(time.Duration(i) * time.Hour)}, args...)...); err != nil {
				t.Fatal(err)
			}
		}
		// An info request from a script, perhaps edited.
		if rng.IntN(2) == 0 {
			u, e := use{[]string{"info-en", "info-zh"}[rng.IntN(2)], 1}, rng.IntN(2) == 0
			event("info_requested", `jsonb_build_object('question', 'q', 'script', jsonb_build_object('key', $5::text, 'version', $6::int, 'edited', $7::boolean))`, u.key, u.version, e)
			uses[u]++
			if e {
				edited[u]++
			}
		}
		// One or two refusals, each maybe from a script, maybe appealed.
		for range 1 + rng.IntN(2) {
			key := []string{"refusal-en", "refusal-zh", ""}[rng.IntN(3)]
			event("proposed", `jsonb_build_object('proposal', jsonb_build_object('refusal_reason', 'no', 'script', jsonb_build_object('key', $5::text, 'version', 1, 'edited', false)))`, key)
			if key != "" {
				uses[use{key, 1}]++
				refusals[key]++
			}
			if rng.IntN(3) == 0 {
				event("appealed", `'{}'::jsonb`)
				if key != "" {
					appealed[key]++
				}
			}
		}
		// A proposal with remedies from a script is not a refusal.
		event("proposed", `jsonb_build_object('proposal', jsonb_build_object('script', jsonb_build_object('key', 'proposal-en', 'version', 1, 'edited', true)))`)
		uses[use{"proposal-en", 1}]++
		edited[use{"proposal-en", 1}]++
		if rng.IntN(3) == 0 {
			by := []string{"agent-ann", "agent-bob"}[rng.IntN(2)]
			event("abusive_contact", `jsonb_build_object('kind', 'insults', 'received_by', $5::text, 'script', jsonb_build_object('key', 'warning-en', 'version', 1, 'edited', false))`, by)
			abuse[who{team, by}]++
			uses[use{"warning-en", 1}]++
		}
	}
	from, to := base, base.Add(100*time.Hour)

	usage, err := st.ScriptUsageBetween(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != len(uses) {
		t.Errorf("usage rows = %d, want %d: %+v", len(usage), len(uses), usage)
	}
	for _, u := range usage {
		k := use{u.Key, u.Version}
		if u.Uses != uses[k] || u.Edited != edited[k] {
			t.Errorf("%s v%d: uses %d edited %d, want %d and %d", u.Key, u.Version, u.Uses, u.Edited, uses[k], edited[k])
		}
		if u.Stage == "" {
			t.Errorf("%s v%d: no stage", u.Key, u.Version)
		}
	}

	rates, err := st.RefusalAppealsBetween(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != len(refusals) {
		t.Errorf("refusal rows = %+v, want %v", rates, refusals)
	}
	for _, r := range rates {
		want := float64(appealed[r.Key]) / float64(refusals[r.Key])
		if r.Refusals != refusals[r.Key] || r.Appealed != appealed[r.Key] || r.AppealRate < want-0.0001 || r.AppealRate > want+0.0001 {
			t.Errorf("%s: %d refusals, %d appealed, rate %v; want %d, %d, %v", r.Key, r.Refusals, r.Appealed, r.AppealRate, refusals[r.Key], appealed[r.Key], want)
		}
	}

	counts, err := st.AbuseBetween(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != len(abuse) {
		t.Errorf("abuse rows = %+v, want %v", counts, abuse)
	}
	for _, c := range counts {
		if n := abuse[who{c.Team, c.ReceivedBy}]; c.Contacts != n || c.Insults != n {
			t.Errorf("%s/%s: %d contacts, want %d", c.Team, c.ReceivedBy, c.Contacts, n)
		}
	}
	// Nothing outside the period.
	if u, err := st.ScriptUsageBetween(ctx, to, to.Add(time.Hour)); err != nil || len(u) != 0 {
		t.Errorf("usage after the period = %v, %v", u, err)
	}
}
