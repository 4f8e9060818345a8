package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// testAdmin is the bootstrap key of every test server (serveWith), and
// what http.DefaultClient sends when a request names no Authorization of
// its own: tests of other behaviour call as an admin, and the tests of
// access control send the keys they mean, or none (anonymous).
const testAdmin = "test-bootstrap-admin-key-0123456789abcdef"

// anonymous sends requests with no credentials.
var anonymous = &http.Client{}

func TestMain(m *testing.M) {
	http.DefaultClient = &http.Client{Transport: asAdmin{http.DefaultTransport}}
	os.Exit(m.Run())
}

// asAdmin adds the test admin's token to a request that has no
// Authorization header.
type asAdmin struct{ next http.RoundTripper }

func (a asAdmin) RoundTrip(r *http.Request) (*http.Response, error) {
	if _, set := r.Header["Authorization"]; !set {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+testAdmin)
	}
	return a.next.RoundTrip(r)
}

// createdKey is the answer of POST /v1/keys.
type createdKey struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Role         string `json:"role"`
	TechnicianID string `json:"technician_id"`
	Token        string `json:"token"`
}

// newKey creates a key through the API, as the test admin.
func newKey(t *testing.T, u, role, name, technician string) createdKey {
	t.Helper()
	body := map[string]any{"role": role, "name": name}
	if technician != "" {
		body["technician_id"] = technician
	}
	var k createdKey
	expect(t, "create the key "+name, do(t, "POST", u+"/v1/keys", body), 201, &k)
	if k.Token == "" || k.ID == "" || k.Role != role {
		t.Fatalf("created key %+v", k)
	}
	return k
}

// doAs sends a request with a token, or with none when token is "".
func doAs(t *testing.T, token, method, url string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := anonymous
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(data)}
}
