package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/complaint-handling/complaints/complaint"
)

// SeedTaxonomy loads the shipped taxonomy into the database once: it
// names and sets the default severity of the categories category_teams
// already has, adds the others, their subcategories and terms, and
// records that it has (taxonomy_state), so later starts leave an admin's
// edits alone. It reports whether it loaded anything.
func (s *Store) SeedTaxonomy(ctx context.Context, t complaint.Taxonomy) (bool, error) {
	seeded := false
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO taxonomy_state DEFAULT VALUES ON CONFLICT DO NOTHING`)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		seeded = true
		for i, c := range t.Categories {
			if _, err := tx.Exec(ctx, `INSERT INTO category_teams (category, team_id, name_zh, name_en, default_severity, position, builtin)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (category) DO UPDATE SET name_zh = $3, name_en = $4, default_severity = $5, position = $6, builtin = $7`,
				c.Code, c.Team, c.NameZH, c.NameEN, c.DefaultSeverity, i, complaint.BuiltinCategory(c.Code)); err != nil {
				return fmt.Errorf("category %s: %w", c.Code, err)
			}
			if err := putTerms(ctx, tx, c.Code, "", c.Terms); err != nil {
				return err
			}
			for j, sub := range c.Subcategories {
				if err := putSubcategory(ctx, tx, c.Code, sub, j); err != nil {
					return err
				}
			}
		}
		return auditTaxonomy(ctx, tx, "system", "seed", "taxonomy", nil, t)
	})
	if err != nil {
		return false, fmt.Errorf("store.SeedTaxonomy: %w", err)
	}
	return seeded, nil
}

// Taxonomy reads the whole taxonomy, categories and subcategories in
// their order.
func (s *Store) Taxonomy(ctx context.Context) (complaint.Taxonomy, error) {
	var t complaint.Taxonomy
	rows, err := s.Pool.Query(ctx, `SELECT category, team_id, name_zh, name_en, default_severity, builtin FROM category_teams ORDER BY position, category`)
	if err != nil {
		return t, fmt.Errorf("store.Taxonomy: %w", err)
	}
	index := map[string]int{}
	for rows.Next() {
		var c complaint.TaxonomyCategory
		if err := rows.Scan(&c.Code, &c.Team, &c.NameZH, &c.NameEN, &c.DefaultSeverity, &c.Builtin); err != nil {
			rows.Close()
			return t, fmt.Errorf("store.Taxonomy: %w", err)
		}
		index[c.Code] = len(t.Categories)
		t.Categories = append(t.Categories, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("store.Taxonomy: %w", err)
	}
	subIndex := map[[2]string]int{}
	rows, err = s.Pool.Query(ctx, `SELECT category, code, name_zh, name_en FROM taxonomy_subcategories ORDER BY category, position, code`)
	if err != nil {
		return t, fmt.Errorf("store.Taxonomy: subcategories: %w", err)
	}
	for rows.Next() {
		var cat string
		var sc complaint.TaxonomySubcategory
		if err := rows.Scan(&cat, &sc.Code, &sc.NameZH, &sc.NameEN); err != nil {
			rows.Close()
			return t, fmt.Errorf("store.Taxonomy: subcategories: %w", err)
		}
		if i, ok := index[cat]; ok {
			subIndex[[2]string{cat, sc.Code}] = len(t.Categories[i].Subcategories)
			t.Categories[i].Subcategories = append(t.Categories[i].Subcategories, sc)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("store.Taxonomy: subcategories: %w", err)
	}
	rows, err = s.Pool.Query(ctx, `SELECT category, subcategory, lang, term FROM taxonomy_terms ORDER BY category, subcategory, lang, term`)
	if err != nil {
		return t, fmt.Errorf("store.Taxonomy: terms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cat, sub string
		var term complaint.TaxonomyTerm
		if err := rows.Scan(&cat, &sub, &term.Lang, &term.Text); err != nil {
			return t, fmt.Errorf("store.Taxonomy: terms: %w", err)
		}
		i, ok := index[cat]
		switch j, subOK := subIndex[[2]string{cat, sub}]; {
		case !ok:
		case sub == "":
			t.Categories[i].Terms = append(t.Categories[i].Terms, term)
		case subOK:
			t.Categories[i].Subcategories[j].Terms = append(t.Categories[i].Subcategories[j].Terms, term)
		}
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("store.Taxonomy: terms: %w", err)
	}
	return t, nil
}

// PutCategory creates or updates a category's own fields and replaces its
// own terms (its subcategories stay). It returns FieldErrors (ErrInvalid)
// for a team that does not exist, and reports whether it created the
// category.
func (s *Store) PutCategory(ctx context.Context, c complaint.TaxonomyCategory, actor string) (created bool, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var team bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1)`, c.Team).Scan(&team); err != nil {
			return err
		}
		if !team {
			return complaint.FieldErrors{complaint.NewProblem(complaint.CodeUnknownTeam, "is not a team").At("team")}
		}
		before, err := categoryOf(ctx, tx, c.Code)
		if err != nil {
			return err
		}
		created = before == nil
		if _, err := tx.Exec(ctx, `INSERT INTO category_teams (category, team_id, name_zh, name_en, default_severity, position, builtin)
VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(max(position), 0) + 1 FROM category_teams), $6)
ON CONFLICT (category) DO UPDATE SET team_id = $2, name_zh = $3, name_en = $4, default_severity = $5, updated_at = now()`,
			c.Code, c.Team, c.NameZH, c.NameEN, c.DefaultSeverity, complaint.BuiltinCategory(c.Code)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM taxonomy_terms WHERE category = $1 AND subcategory = ''`, c.Code); err != nil {
			return err
		}
		if err := putTerms(ctx, tx, c.Code, "", c.Terms); err != nil {
			return err
		}
		c.Subcategories = nil
		return auditTaxonomy(ctx, tx, actor, "put_category", c.Code, before, c)
	})
	if err != nil {
		return false, fmt.Errorf("store.PutCategory(%s): %w", c.Code, err)
	}
	return created, nil
}

// DeleteCategory deletes a category with its subcategories and terms.
// It returns ErrNotFound for none, and FieldErrors for a built-in one.
// Cases already in the category keep it.
func (s *Store) DeleteCategory(ctx context.Context, code, actor string) error {
	if complaint.BuiltinCategory(code) {
		return complaint.FieldErrors{complaint.NewProblem(complaint.CodeBuiltinCategory, "is a built-in category: it can be edited but not deleted").At("category")}
	}
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		before, err := categoryOf(ctx, tx, code)
		if err != nil {
			return err
		}
		if before == nil {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM category_teams WHERE category = $1`, code); err != nil {
			return err
		}
		return auditTaxonomy(ctx, tx, actor, "delete_category", code, before, nil)
	})
	if err != nil {
		return fmt.Errorf("store.DeleteCategory(%s): %w", code, err)
	}
	return nil
}

// PutSubcategory creates or updates a subcategory and replaces its terms.
// It returns FieldErrors for a category that does not exist.
func (s *Store) PutSubcategory(ctx context.Context, category string, sc complaint.TaxonomySubcategory, actor string) (created bool, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		cat, err := categoryOf(ctx, tx, category)
		if err != nil {
			return err
		}
		if cat == nil {
			return complaint.FieldErrors{complaint.NewProblem(complaint.CodeUnknownCategory, "is not a category of the taxonomy").At("category")}
		}
		before := subcategoryOf(*cat, sc.Code)
		created = before == nil
		pos := len(cat.Subcategories)
		if err := putSubcategory(ctx, tx, category, sc, pos); err != nil {
			return err
		}
		return auditTaxonomy(ctx, tx, actor, "put_subcategory", category+"/"+sc.Code, before, sc)
	})
	if err != nil {
		return false, fmt.Errorf("store.PutSubcategory(%s/%s): %w", category, sc.Code, err)
	}
	return created, nil
}

// DeleteSubcategory deletes a subcategory and its terms; ErrNotFound for
// none.
func (s *Store) DeleteSubcategory(ctx context.Context, category, code, actor string) error {
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		cat, err := categoryOf(ctx, tx, category)
		if err != nil {
			return err
		}
		var before *complaint.TaxonomySubcategory
		if cat != nil {
			before = subcategoryOf(*cat, code)
		}
		if before == nil {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM taxonomy_terms WHERE category = $1 AND subcategory = $2`, category, code); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM taxonomy_subcategories WHERE category = $1 AND code = $2`, category, code); err != nil {
			return err
		}
		return auditTaxonomy(ctx, tx, actor, "delete_subcategory", category+"/"+code, before, nil)
	})
	if err != nil {
		return fmt.Errorf("store.DeleteSubcategory(%s/%s): %w", category, code, err)
	}
	return nil
}

// EditTerms adds and removes terms of a category (subcategory "") or one
// of its subcategories. It returns FieldErrors for a category or
// subcategory that does not exist; removing a term that is not there is
// no error.
func (s *Store) EditTerms(ctx context.Context, category, subcategory string, add, remove []complaint.TaxonomyTerm, actor string) error {
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		cat, err := categoryOf(ctx, tx, category)
		if err != nil {
			return err
		}
		if cat == nil {
			return complaint.FieldErrors{complaint.NewProblem(complaint.CodeUnknownCategory, "is not a category of the taxonomy").At("category")}
		}
		if subcategory != "" && subcategoryOf(*cat, subcategory) == nil {
			return complaint.FieldErrors{complaint.NewProblem(complaint.CodeUnknownCategory, "is not a subcategory of "+category).At("subcategory")}
		}
		for _, t := range remove {
			if _, err := tx.Exec(ctx, `DELETE FROM taxonomy_terms WHERE category = $1 AND subcategory = $2 AND lang = $3 AND term = $4`,
				category, subcategory, t.Lang, t.Text); err != nil {
				return err
			}
		}
		if err := putTerms(ctx, tx, category, subcategory, add); err != nil {
			return err
		}
		return auditTaxonomy(ctx, tx, actor, "edit_terms", category+"/"+subcategory, map[string]any{"remove": remove}, map[string]any{"add": add})
	})
	if err != nil {
		return fmt.Errorf("store.EditTerms(%s/%s): %w", category, subcategory, err)
	}
	return nil
}

// CategoryExists reports whether the taxonomy has a category.
func (s *Store) CategoryExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	if err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM category_teams WHERE category = $1)`, code).Scan(&ok); err != nil {
		return false, fmt.Errorf("store.CategoryExists(%s): %w", code, err)
	}
	return ok, nil
}

// TaxonomyActions are the kinds of audited taxonomy edits.
func TaxonomyActions() []string {
	return []string{"seed", "put_category", "delete_category", "put_subcategory", "delete_subcategory", "edit_terms"}
}

// TaxonomyChange is one audited edit of the taxonomy.
type TaxonomyChange struct {
	ID     int64           `json:"id"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Target string          `json:"target"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// TaxonomyChanges lists the latest limit edits, newest first.
func (s *Store) TaxonomyChanges(ctx context.Context, limit int) ([]TaxonomyChange, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, at, actor, action, target, before, after FROM taxonomy_changes ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store.TaxonomyChanges: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TaxonomyChange, error) {
		var c TaxonomyChange
		err := r.Scan(&c.ID, &c.At, &c.Actor, &c.Action, &c.Target, &c.Before, &c.After)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store.TaxonomyChanges: %w", err)
	}
	return out, nil
}

func putSubcategory(ctx context.Context, tx pgx.Tx, category string, sc complaint.TaxonomySubcategory, pos int) error {
	if _, err := tx.Exec(ctx, `INSERT INTO taxonomy_subcategories (category, code, name_zh, name_en, position) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (category, code) DO UPDATE SET name_zh = $3, name_en = $4`, category, sc.Code, sc.NameZH, sc.NameEN, pos); err != nil {
		return fmt.Errorf("subcategory %s/%s: %w", category, sc.Code, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM taxonomy_terms WHERE category = $1 AND subcategory = $2`, category, sc.Code); err != nil {
		return err
	}
	return putTerms(ctx, tx, category, sc.Code, sc.Terms)
}

func putTerms(ctx context.Context, tx pgx.Tx, category, sub string, terms []complaint.TaxonomyTerm) error {
	for _, t := range terms {
		if _, err := tx.Exec(ctx, `INSERT INTO taxonomy_terms (category, subcategory, lang, term) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			category, sub, t.Lang, t.Text); err != nil {
			return fmt.Errorf("term %s/%s %q: %w", category, sub, t.Text, err)
		}
	}
	return nil
}

// categoryOf reads one category with its subcategories (without terms),
// nil when there is none.
func categoryOf(ctx context.Context, tx pgx.Tx, code string) (*complaint.TaxonomyCategory, error) {
	var c complaint.TaxonomyCategory
	err := tx.QueryRow(ctx, `SELECT category, team_id, name_zh, name_en, default_severity, builtin FROM category_teams WHERE category = $1 FOR UPDATE`, code).
		Scan(&c.Code, &c.Team, &c.NameZH, &c.NameEN, &c.DefaultSeverity, &c.Builtin)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT code, name_zh, name_en FROM taxonomy_subcategories WHERE category = $1 ORDER BY position, code`, code)
	if err != nil {
		return nil, err
	}
	c.Subcategories, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (complaint.TaxonomySubcategory, error) {
		var s complaint.TaxonomySubcategory
		err := r.Scan(&s.Code, &s.NameZH, &s.NameEN)
		return s, err
	})
	return &c, err
}

func subcategoryOf(c complaint.TaxonomyCategory, code string) *complaint.TaxonomySubcategory {
	for i := range c.Subcategories {
		if c.Subcategories[i].Code == code {
			return &c.Subcategories[i]
		}
	}
	return nil
}

// auditTaxonomy appends one edit to taxonomy_changes.
func auditTaxonomy(ctx context.Context, tx pgx.Tx, actor, action, target string, before, after any) error {
	b, err := jsonOrNil(before)
	if err != nil {
		return err
	}
	a, err := jsonOrNil(after)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO taxonomy_changes (actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5)`, actor, action, target, b, a)
	return err
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case *complaint.TaxonomyCategory:
		if x == nil {
			return nil, nil
		}
	case *complaint.TaxonomySubcategory:
		if x == nil {
			return nil, nil
		}
	}
	return json.Marshal(v)
}
