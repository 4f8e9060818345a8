package api

import (
	"strings"
	"testing"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/model"
)

// TestOpenAPISchemaNames: two Go types of one name would share one
// schema, the second described as the first; the document refuses to be
// built instead.
func TestOpenAPISchemaNames(t *testing.T) {
	type Outcome struct {
		Plan string `json:"plan"`
	}
	type body struct {
		Closed model.Outcome `json:"closed"`
		Ours   Outcome       `json:"ours"`
	}
	defer func() {
		v := recover()
		if msg, _ := v.(string); !strings.Contains(msg, "two types named Outcome") {
			t.Errorf("recovered %v; want a panic naming the two Outcome types", v)
		}
	}()
	document([]route{{method: "GET", pattern: "/x", allow: []auth.Permission{auth.Read}, response: body{}, status: 200}})
}
