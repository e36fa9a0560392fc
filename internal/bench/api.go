package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// apiClient calls the API over HTTP, as the console and the customer's
// pages do.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(base string) *apiClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 512, 512
	return &apiClient{base: base, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// call sends body as JSON and decodes the answer into out; a status other
// than want is an error carrying the answer.
func (c *apiClient) call(ctx context.Context, method, path, token string, body, out any, want int, headers ...string) error {
	status, raw, err := c.roundTrip(ctx, method, path, token, body, headers...)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: %d %s", method, path, status, truncate(string(raw), 300))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// send is call for callers that judge the status themselves: it decodes a
// 2xx answer into out and returns the status.
func (c *apiClient) send(ctx context.Context, method, path, token string, body, out any, headers ...string) (int, error) {
	status, raw, err := c.roundTrip(ctx, method, path, token, body, headers...)
	if err == nil && out != nil && status/100 == 2 {
		err = json.Unmarshal(raw, out)
	}
	return status, err
}

func (c *apiClient) roundTrip(ctx context.Context, method, path, token string, body any, headers ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// complaintSource gives realistic complaint bodies from the CFPB sample.
type complaintSource struct {
	rows [][]string
	col  map[string]int
	run  string
}

var cfpbChannel = map[string]string{"Web": "web", "Web Referral": "web", "Phone": "phone", "Referral": "regulator",
	"Postal mail": "post", "Email": "email", "Fax": "post"}

func loadComplaints(path string) (*complaintSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("the CFPB sample gives the benchmark realistic complaints (--data): %w", err)
	}
	defer f.Close()
	rd := csv.NewReader(f)
	rd.LazyQuotes = true
	rows, err := rd.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s holds no complaints", path)
	}
	src := &complaintSource{rows: rows[1:], col: map[string]int{}, run: fmt.Sprintf("%x", time.Now().UnixNano())}
	for i, h := range rows[0] {
		src.col[h] = i
	}
	for _, h := range []string{"Product", "Issue", "Sub-issue", "Consumer_complaint_narrative", "State", "Submitted_via", "Complaint_ID"} {
		if _, ok := src.col[h]; !ok {
			return nil, fmt.Errorf("%s has no %s column", path, h)
		}
	}
	return src, nil
}

// body is complaint i: a CFPB row (cycled) from a customer of its own, so
// every call files a new case rather than a repeat contact.
func (s *complaintSource) body(prefix string, i int) (map[string]any, string) {
	r := s.rows[i%len(s.rows)]
	desc := r[s.col["Consumer_complaint_narrative"]]
	if desc == "" {
		desc = strings.TrimSpace(r[s.col["Issue"]] + ". " + r[s.col["Sub-issue"]])
	}
	ch := cfpbChannel[r[s.col["Submitted_via"]]]
	if ch == "" {
		ch = "web"
	}
	id := fmt.Sprintf("%s-%s-%d", prefix, s.run, i)
	return map[string]any{
		"customer": map[string]any{"id": id, "name": "CFPB consumer " + r[s.col["Complaint_ID"]], "email": "c" + r[s.col["Complaint_ID"]] + "@example.com"},
		"channel":  ch, "subject": r[s.col["Issue"]], "description": desc,
		"product": r[s.col["Product"]], "region": r[s.col["State"]], "language": "en",
	}, id
}

type created struct {
	ID            string `json:"id"`
	TrackingToken string `json:"tracking_token"`
	Status        string `json:"status"`
}

// file files complaint i with a staff token (staff intake is not subject
// to the per-address limit of the public form).
func (b *runner) file(ctx context.Context, prefix string, i int) (created, error) {
	body, key := b.src.body(prefix, i)
	var out created
	err := b.api.call(ctx, "POST", "/v1/complaints", b.intakeToken, body, &out, 201, "Idempotency-Key", key)
	return out, err
}
