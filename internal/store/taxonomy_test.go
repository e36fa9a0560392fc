package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/classify"
	"github.com/complaint-handling/complaints/internal/store"
)

func seeded(t *testing.T) (*store.Store, complaint.Taxonomy) {
	t.Helper()
	st := env.NewStore(t)
	seed, err := classify.Seed()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := st.SeedTaxonomy(context.Background(), seed); err != nil || !ok {
		t.Fatalf("seed: %v, %v", ok, err)
	}
	return st, seed
}

func termCount(t complaint.Taxonomy) (cats, subs, terms int) {
	for _, c := range t.Categories {
		cats++
		terms += len(c.Terms)
		for _, s := range c.Subcategories {
			subs++
			terms += len(s.Terms)
		}
	}
	return
}

// TestTaxonomySeedAndEdits: the shipped taxonomy loads once (a second
// start, or one after an admin's edits, leaves it alone), reads back
// whole, and every edit is checked and audited.
func TestTaxonomySeedAndEdits(t *testing.T) {
	st, seed := seeded(t)
	ctx := context.Background()
	got, err := st.Taxonomy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wc, ws, wt := termCount(seed)
	if c, s, n := termCount(got); c != wc || s != ws || n != wt {
		t.Errorf("read back %d categories, %d subcategories, %d terms; seeded %d, %d, %d", c, s, n, wc, ws, wt)
	}
	if q, _ := got.Category(complaint.CategoryProductQuality); q.Team != "quality" || q.DefaultSeverity != complaint.SeverityMedium || !q.Builtin || q.NameZH == "" {
		t.Errorf("product_quality read back as %+v", q)
	}
	if ok, err := st.SeedTaxonomy(ctx, seed); err != nil || ok {
		t.Errorf("second seed: %v, %v; want nothing done", ok, err)
	}

	steps := []struct {
		name string
		do   func() error
		want string // a field error's code, "not found", or "" for success
	}{
		{"new category", func() error {
			_, err := st.PutCategory(ctx, complaint.TaxonomyCategory{Code: "warranty", NameZH: "保修", NameEN: "Warranty", Team: "quality",
				DefaultSeverity: complaint.SeverityMedium, Terms: []complaint.TaxonomyTerm{{Lang: "zh", Text: "保修"}}}, "admin-ada")
			return err
		}, ""},
		{"unknown team", func() error {
			_, err := st.PutCategory(ctx, complaint.TaxonomyCategory{Code: "warranty", NameZH: "保修", NameEN: "Warranty", Team: "nobody",
				DefaultSeverity: complaint.SeverityMedium}, "admin-ada")
			return err
		}, complaint.CodeUnknownTeam},
		{"subcategory", func() error {
			_, err := st.PutSubcategory(ctx, "warranty", complaint.TaxonomySubcategory{Code: "extended", NameZH: "延保", NameEN: "Extended",
				Terms: []complaint.TaxonomyTerm{{Lang: "en", Text: "extended warranty"}}}, "admin-ada")
			return err
		}, ""},
		{"subcategory of no category", func() error {
			_, err := st.PutSubcategory(ctx, "nothing", complaint.TaxonomySubcategory{Code: "x1", NameZH: "x", NameEN: "x"}, "admin-ada")
			return err
		}, complaint.CodeUnknownCategory},
		{"terms", func() error {
			return st.EditTerms(ctx, "warranty", "", []complaint.TaxonomyTerm{{Lang: "en", Text: "warranty"}}, []complaint.TaxonomyTerm{{Lang: "zh", Text: "保修"}}, "admin-ada")
		}, ""},
		{"delete a built-in category", func() error { return st.DeleteCategory(ctx, complaint.CategorySafety, "admin-ada") }, complaint.CodeBuiltinCategory},
		{"delete a missing subcategory", func() error { return st.DeleteSubcategory(ctx, "warranty", "none", "admin-ada") }, "not found"},
		{"delete the subcategory", func() error { return st.DeleteSubcategory(ctx, "warranty", "extended", "admin-ada") }, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			err := s.do()
			var fe complaint.FieldErrors
			switch {
			case s.want == "" && err != nil:
				t.Errorf("%v", err)
			case s.want == "not found" && !errors.Is(err, store.ErrNotFound):
				t.Errorf("%v, want ErrNotFound", err)
			case s.want != "" && s.want != "not found" && (!errors.As(err, &fe) || fe[0].Code != s.want):
				t.Errorf("%v, want a field error %s", err, s.want)
			}
		})
	}
	got, _ = st.Taxonomy(ctx)
	w, ok := got.Category("warranty")
	if !ok || len(w.Subcategories) != 0 || len(w.Terms) != 1 || w.Terms[0].Text != "warranty" || w.Team != "quality" {
		t.Errorf("warranty after the edits: %+v", w)
	}
	team, err := st.TeamForCategory(ctx, "warranty")
	if err != nil || team != "quality" {
		t.Errorf("assignment's team for warranty: %q, %v", team, err)
	}
	changes, err := st.TaxonomyChanges(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, c := range changes {
		actions = append(actions, c.Action)
	}
	// Newest first: the refused edits left nothing.
	want := []string{"delete_subcategory", "edit_terms", "put_subcategory", "put_category", "seed"}
	if len(actions) != len(want) {
		t.Fatalf("audited %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] || (i < 4 && changes[i].Actor != "admin-ada") {
			t.Errorf("audit %d: %s by %s, want %s", i, actions[i], changes[i].Actor, want[i])
		}
	}
	if err := st.DeleteCategory(ctx, "warranty", "admin-ada"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.CategoryExists(ctx, "warranty"); ok {
		t.Error("warranty still exists after its deletion")
	}
}

// TestAppRoleCannotRewriteTaxonomyChanges performs the attack of a
// compromised application hiding who changed the taxonomy: it may only
// append to taxonomy_changes.
func TestAppRoleCannotRewriteTaxonomyChanges(t *testing.T) {
	st, _ := seeded(t)
	ctx := context.Background()
	for _, attack := range []string{`UPDATE taxonomy_changes SET actor = 'someone else'`, `DELETE FROM taxonomy_changes`, `TRUNCATE taxonomy_changes`} {
		_, err := st.Pool.Exec(ctx, attack)
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "42501" {
			t.Errorf("%s as the application's role: %v; want permission denied (42501)", attack, err)
		}
	}
	if ch, err := st.TaxonomyChanges(ctx, 10); err != nil || len(ch) != 1 || ch[0].Actor != "system" {
		t.Errorf("taxonomy_changes after the attacks: %+v, %v", ch, err)
	}
}
