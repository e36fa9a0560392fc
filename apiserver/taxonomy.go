package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaint-handling/complaints/complaint"
	"github.com/complaint-handling/complaints/internal/classify"
)

// Classifier classifies a new complaint against the taxonomy before its
// workflow starts (classify.Service), and is told when the taxonomy
// changed here.
type Classifier interface {
	Classify(ctx context.Context, c complaint.Complaint) (classify.Result, error)
	Invalidate()
}

// maxOverrides bounds one export of staff overrides.
const maxOverrides = 50000

// taxonomyRoutes are the taxonomy's routes: staff read it, admins edit
// it, and admins, auditors, managers and directors export the overrides.
func (s *Server) taxonomyRoutes(staff *gin.RouterGroup) {
	admin := s.allow(complaint.RoleAdmin)
	staff.GET("/taxonomy", s.allow(readers...), s.getTaxonomy)
	staff.PUT("/taxonomy/categories/:category", admin, s.putCategory)
	staff.DELETE("/taxonomy/categories/:category", admin, s.deleteCategory)
	staff.PUT("/taxonomy/categories/:category/subcategories/:subcategory", admin, s.putSubcategory)
	staff.DELETE("/taxonomy/categories/:category/subcategories/:subcategory", admin, s.deleteSubcategory)
	staff.PATCH("/taxonomy/categories/:category/terms", admin, s.patchTerms)
	staff.POST("/taxonomy/classify", s.allow(complaint.RoleAdmin, complaint.RoleSupervisor, complaint.RoleManager, complaint.RoleDirector), s.tryClassify)
	staff.GET("/taxonomy/changes", s.allow(complaint.RoleAdmin, complaint.RoleAuditor), s.taxonomyChanges)
	staff.GET("/taxonomy/overrides.jsonl", s.allow(complaint.RoleAdmin, complaint.RoleAuditor, complaint.RoleManager, complaint.RoleDirector), s.exportOverrides)
}

func (s *Server) getTaxonomy(c *gin.Context) {
	t, err := s.store.Taxonomy(c)
	if err != nil {
		s.fail(c, "taxonomy", err)
		return
	}
	if t.Categories == nil {
		t.Categories = []complaint.TaxonomyCategory{}
	}
	c.JSON(http.StatusOK, t)
}

// categoryBody is a category's own fields; its code is in the path.
type categoryBody struct {
	NameZH          string                   `json:"name_zh"`
	NameEN          string                   `json:"name_en"`
	Team            string                   `json:"team"`
	DefaultSeverity string                   `json:"default_severity"`
	Terms           []complaint.TaxonomyTerm `json:"terms"`
}

type subcategoryBody struct {
	NameZH string                   `json:"name_zh"`
	NameEN string                   `json:"name_en"`
	Terms  []complaint.TaxonomyTerm `json:"terms"`
}

type termsBody struct {
	Subcategory string                   `json:"subcategory"`
	Add         []complaint.TaxonomyTerm `json:"add"`
	Remove      []complaint.TaxonomyTerm `json:"remove"`
}

func (s *Server) putCategory(c *gin.Context) {
	var b categoryBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	cat := complaint.TaxonomyCategory{Code: c.Param("category"), NameZH: b.NameZH, NameEN: b.NameEN, Team: b.Team,
		DefaultSeverity: b.DefaultSeverity, Terms: b.Terms}
	if errs := mergeProblems(bad, fieldProblems(complaint.ValidateCategory(cat))); len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	created, err := s.store.PutCategory(c, cat, staffOf(c).ID)
	s.taxonomyEdited(c, "put category", err, created)
}

func (s *Server) deleteCategory(c *gin.Context) {
	err := s.store.DeleteCategory(c, c.Param("category"), staffOf(c).ID)
	s.taxonomyEdited(c, "delete category", err, false)
}

func (s *Server) putSubcategory(c *gin.Context) {
	var b subcategoryBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	sub := complaint.TaxonomySubcategory{Code: c.Param("subcategory"), NameZH: b.NameZH, NameEN: b.NameEN, Terms: b.Terms}
	if errs := mergeProblems(bad, fieldProblems(complaint.ValidateSubcategory(sub))); len(errs) > 0 {
		invalidFields(c, errs...)
		return
	}
	created, err := s.store.PutSubcategory(c, c.Param("category"), sub, staffOf(c).ID)
	s.taxonomyEdited(c, "put subcategory", err, created)
}

func (s *Server) deleteSubcategory(c *gin.Context) {
	err := s.store.DeleteSubcategory(c, c.Param("category"), c.Param("subcategory"), staffOf(c).ID)
	s.taxonomyEdited(c, "delete subcategory", err, false)
}

func (s *Server) patchTerms(c *gin.Context) {
	var b termsBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	var errs complaint.Fields
	if b.Subcategory != "" && !complaint.ValidTaxonomyCode(b.Subcategory) {
		errs.Add("subcategory", complaint.InvalidCode())
	}
	errs.Merge(complaint.ValidateTerms("add", b.Add))
	errs.Merge(complaint.ValidateTerms("remove", b.Remove))
	if len(b.Add)+len(b.Remove) == 0 {
		errs.Add("add", complaint.NewProblem(complaint.CodeRequired, "is required (or remove)"))
	}
	if all := mergeProblems(bad, fieldProblems(errs.Err())); len(all) > 0 {
		invalidFields(c, all...)
		return
	}
	err := s.store.EditTerms(c, c.Param("category"), b.Subcategory, b.Add, b.Remove, staffOf(c).ID)
	s.taxonomyEdited(c, "edit terms", err, false)
}

// taxonomyEdited answers an edit: its field errors as 422, else the whole
// taxonomy as it now is (201 when the edit created something), and tells
// the classifier to read it again.
func (s *Server) taxonomyEdited(c *gin.Context, op string, err error, created bool) {
	var fe complaint.FieldErrors
	if errors.As(err, &fe) {
		invalidFields(c, fe...)
		return
	}
	if err != nil {
		s.fail(c, op, err)
		return
	}
	if s.cfg.Classifier != nil {
		s.cfg.Classifier.Invalidate()
	}
	s.logger.Info("taxonomy edited", "op", op, "by", staffOf(c).ID, "path", c.Request.URL.Path)
	t, err := s.store.Taxonomy(c)
	if err != nil {
		s.fail(c, "taxonomy", err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, t)
}

type tryBody struct {
	Subject     string `json:"subject"`
	Description string `json:"description"`
	Channel     string `json:"channel"`
}

// tryClassify shows what the classifier makes of a text, with every term
// it found (negated ones marked), so an admin can check an edit.
func (s *Server) tryClassify(c *gin.Context) {
	var b tryBody
	ok, bad := decodeKeepingText(c, &b)
	if !ok {
		return
	}
	var errs complaint.Fields
	errs.Required("subject", b.Subject, 200, complaint.FreeText)
	errs.Text("description", b.Description, complaint.MaxDescription, complaint.FreeText)
	if all := mergeProblems(bad, fieldProblems(errs.Err())); len(all) > 0 {
		invalidFields(c, all...)
		return
	}
	if s.cfg.Classifier == nil {
		problem(c, http.StatusServiceUnavailable, "classifier unavailable", "this server classifies with the keyword rules only")
		return
	}
	r, err := s.cfg.Classifier.Classify(c, complaint.Complaint{Subject: b.Subject, Description: b.Description, Channel: b.Channel})
	if err != nil {
		s.fail(c, "classify", err)
		return
	}
	if r.Matches == nil {
		r.Matches = []classify.Match{}
	}
	c.JSON(http.StatusOK, gin.H{"classification": r.Classification, "matches": r.Matches})
}

func (s *Server) taxonomyChanges(c *gin.Context) {
	list, err := s.store.TaxonomyChanges(c, 500)
	if err != nil {
		s.fail(c, "taxonomy changes", err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"changes": list})
}

// exportOverrides writes staff overrides of classifications as labelled
// examples in the evaluation set's format (testdata/classify/eval.jsonl),
// one JSON object a line, from since (a date, default the beginning).
func (s *Server) exportOverrides(c *gin.Context) {
	since := time.Time{}
	if v := c.Query("since"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			invalidFields(c, complaint.NewProblem(complaint.CodeNotADate, "must be a date, YYYY-MM-DD").At("since"))
			return
		}
		since = d
	}
	list, err := s.store.ClassificationOverrides(c, since, maxOverrides)
	if err != nil {
		s.fail(c, "overrides", err)
		return
	}
	c.Header("Content-Type", "application/x-ndjson; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="overrides.jsonl"`)
	c.Status(http.StatusOK)
	enc := json.NewEncoder(c.Writer)
	enc.SetEscapeHTML(false)
	for _, o := range list {
		at := o.At
		text := o.Subject
		if o.Description != "" && o.Description != o.Subject {
			text += "\n" + o.Description
		}
		_ = enc.Encode(classify.Example{ID: "override-" + o.CaseNumber + "-" + at.UTC().Format("20060102T150405"), Lang: o.Language,
			Source: "override:" + o.CaseNumber, Channel: o.Channel, Text: text, Category: o.Category, Severity: o.Severity,
			OriginalCategory: o.OriginalCategory, OriginalSeverity: o.OriginalSeverity, By: o.By, At: &at, Reason: o.Reason})
	}
}
