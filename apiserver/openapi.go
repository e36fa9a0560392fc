package apiserver

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

//go:embed openapi.yaml
var openapiYAML []byte

// Spec loads and validates the OpenAPI document of this API.
func Spec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("apiserver.Spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("apiserver.Spec: invalid document: %w", err)
	}
	return doc, nil
}

// openapiHandler serves the document as JSON, rendered once.
func openapiHandler() gin.HandlerFunc {
	doc, err := Spec()
	var body []byte
	if err == nil {
		body, err = json.Marshal(doc)
	}
	return func(c *gin.Context) {
		if err != nil {
			problem(c, http.StatusInternalServerError, "internal error", "")
			return
		}
		c.Data(http.StatusOK, "application/json", body)
	}
}
