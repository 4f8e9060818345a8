package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/dispatchd/dispatchd/model"
)

// DefaultMaxBodyBytes caps a request body when Options names no cap.
const DefaultMaxBodyBytes = 4 << 20

// decodeBody reads a JSON request body into v strictly, capped at the
// server's limit. It writes the problem itself and returns false when the
// body is not JSON by its Content-Type (415), too large (413), not JSON,
// over a list limit, has unknown, duplicate or case-mismatched fields or
// wrong types (400, naming every field).
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		writeProblem(w, r, http.StatusUnsupportedMediaType, "unsupported media type",
			fmt.Sprintf("the body must be application/json, not %s", quoted(ct, "nothing")))
		return false
	}
	data, err := readBody(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes), r.ContentLength, s.opts.MaxBodyBytes)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeProblem(w, r, http.StatusRequestEntityTooLarge, "request body too large",
			fmt.Sprintf("the body exceeds %d bytes", tooBig.Limit))
		return false
	case err != nil:
		s.readFailed(w, r, err)
		return false
	}
	if err := DecodeJSON(data, v, s.opts.Limits); err != nil {
		s.fail(w, r, refuseBy(err))
		return false
	}
	return true
}

// byRefused says why a body may not name its actor.
const byRefused = "not accepted: who makes a change is the API key the request comes with, recorded by its name and id"

// refuseBy words the refusal of a body's "by" for what it is: bodies
// named their actor before keys did, and a client that still sends one
// must learn that it is not recorded, rather than that it is unknown.
func refuseBy(err error) error {
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		for i, fe := range ve.Errors {
			if fe.Field == "by" && strings.HasPrefix(fe.Message, "unknown field") {
				ve.Errors[i].Message = byRefused
			}
		}
	}
	return err
}

// isJSON reports whether a Content-Type is application/json (with any
// parameters, such as charset=utf-8).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// quoted quotes a client's value for a problem's detail as model.Quote
// does (cut short, whole characters); or says what was missing.
func quoted(s, missing string) string {
	if s == "" {
		return missing
	}
	return model.Quote(s)
}

// readBody reads a whole body into one buffer sized from its declared
// length, so a large suggestion body is not copied while the buffer grows.
// The length is only a hint: the reader's cap still decides.
func readBody(r io.Reader, declared, limit int64) ([]byte, error) {
	if declared <= 0 || declared > limit {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, declared+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// DecodeJSON decodes one JSON document into v, a pointer to a zero value,
// by the rules of every dispatchd input (the service's bodies and the
// command line's files): the document must be valid UTF-8 JSON with
// nothing after it; no object may repeat a name; names match fields
// exactly (not ignoring case) and unknown fields are refused; and no list
// may hold more than limits allow. The limits are checked by a scan of
// the tokens before anything is decoded, so a refused document costs no
// more memory than itself. On failure it returns a *model.ValidationError
// naming every offending field it can find by its path
// ("work_orders[3].time_windows[0].start: …"); v should then be dropped.
func DecodeJSON(data []byte, v any, limits model.Limits) error {
	if err := scanJSON(data, limits); err != nil {
		return err
	}
	err := jsonv2.Unmarshal(data, v, jsonv2.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	reflect.ValueOf(v).Elem().SetZero()
	if ve := model.FieldErrors(data, reflect.TypeOf(v)); ve != nil {
		return ve
	}
	// The walk found nothing the engine refused: report the engine's own
	// words at its place.
	var sem *jsonv2.SemanticError
	field := ""
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if errors.As(err, &sem) {
		field = fieldPath(sem.JSONPointer)
		if sem.Err != nil {
			msg = sem.Err.Error()
		}
	}
	return &model.ValidationError{Errors: []model.FieldError{{Field: field, Message: msg}}}
}

// DecodeProblem decodes a problem document with DecodeJSON's rules and
// validates it: it returns nil and a *model.ValidationError listing every
// problem if there is any.
func DecodeProblem(data []byte, limits model.Limits) (*model.Problem, error) {
	var p model.Problem
	if err := DecodeJSON(data, &p, limits); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// scanJSON reads a document's tokens without decoding them: it refuses
// invalid JSON, invalid UTF-8, duplicate names and trailing data (the
// tokenizer's own rules), and counts the elements of every list against
// limits, by the name of the field that holds it, each list alone and
// all lists of one name together. Objects are bounded too: a skills
// object by limits, any other by maxFields, more than any type has.
func scanJSON(data []byte, limits model.Limits) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	type frame struct {
		bound model.ListBound
		name  string // the field holding the container
		count int
	}
	stack := make([]frame, 0, 8)
	var totals map[string]int
	// open reads the '[' or '{' of a container held by the named field.
	open := func(name string) error {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		b := model.ListBound{What: "fields", Max: maxFields}
		if tok.Kind() == '[' || name == "skills" || name == "required_skills" {
			b = limits.Bound(name)
		}
		stack = append(stack, frame{bound: b, name: name})
		return nil
	}
	// value reads the next value, held by the named field.
	value := func(name string) error {
		switch dec.PeekKind() {
		case '[', '{':
			return open(name)
		}
		return dec.SkipValue()
	}
	var name string // the member whose value is next
	for {
		var err error
		switch kind, length := dec.StackIndex(dec.StackDepth()); {
		case kind == 0 && length == 0:
			err = value("")
		case kind == 0:
			// The document is read: only its end may follow.
			off := dec.InputOffset()
			if _, err = dec.ReadToken(); err == io.EOF {
				return nil
			}
			if err == nil {
				off += int64(len(data[off:]) - len(bytes.TrimLeft(data[off:], " \t\r\n")))
				err = &jsontext.SyntacticError{ByteOffset: off, Err: errors.New("more data after the document")}
			}
		case dec.PeekKind() == ']' || dec.PeekKind() == '}':
			_, err = dec.ReadToken()
			stack = stack[:len(stack)-1]
		case kind == '{' && length%2 == 0:
			// A member's name: count it, and keep it for the value.
			var raw jsontext.Value
			if raw, err = dec.ReadValue(); err == nil {
				f := &stack[len(stack)-1]
				if f.count++; f.count > f.bound.Max {
					return tooMany(dec, f.name, f.bound, true)
				}
				if k := dec.PeekKind(); k == '[' || k == '{' {
					name = memberName(raw)
				}
			}
		case kind == '{':
			err = value(name)
		default: // an element of a list
			f := &stack[len(stack)-1]
			f.count++
			if f.count > f.bound.Max {
				return tooMany(dec, f.name, f.bound, true)
			}
			if f.bound.Total > 0 {
				if totals == nil {
					totals = map[string]int{}
				}
				if totals[f.name]++; totals[f.name] > f.bound.Total {
					return tooMany(dec, f.name, f.bound, false)
				}
			}
			if dec.PeekKind() == '[' {
				err = value(f.name + "[]") // a matrix's row
			} else {
				err = value("")
			}
		}
		if err != nil {
			return syntaxError(data, err)
		}
	}
}

// maxFields bounds the members of an object that is not a map: more than
// any of the API's types has, so that only a hostile document meets it.
const maxFields = 64

// memberName returns the name a raw JSON string spells.
func memberName(raw jsontext.Value) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return ""
	}
	return string(b)
}

// tooMany is the error of a list over its bound: one list's (each) or
// all lists' of its name together.
func tooMany(dec *jsontext.Decoder, name string, b model.ListBound, each bool) error {
	// The pointer names the container's last member or element read, if
	// any; else the container itself.
	p := dec.StackPointer()
	if _, n := dec.StackIndex(dec.StackDepth()); n > 0 {
		p = p.Parent()
	}
	field := fieldPath(p)
	msg := fmt.Sprintf("more than %d %s", b.Max, b.What)
	if !each {
		msg = fmt.Sprintf("more than %d %s in all lists of %s together", b.Total, b.What, name)
	}
	return &model.ValidationError{Errors: []model.FieldError{{Field: field, Message: msg}}}
}

// syntaxError says where a document stops being acceptable JSON, in
// lines and columns a person can find, naming the field when the
// tokenizer knows it (a duplicate name).
func syntaxError(data []byte, err error) error {
	var syn *jsontext.SyntacticError
	if !errors.As(err, &syn) {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return &model.ValidationError{Errors: []model.FieldError{{Message: "invalid JSON: the document ends early"}}}
		}
		return &model.ValidationError{Errors: []model.FieldError{{Message: "invalid JSON: " + err.Error()}}}
	}
	off := min(int(syn.ByteOffset), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	what := strings.TrimPrefix(syn.Err.Error(), "jsontext: ")
	if errors.Is(syn.Err, io.ErrUnexpectedEOF) {
		what = "the document ends early"
	}
	return &model.ValidationError{Errors: []model.FieldError{{Field: fieldPath(syn.JSONPointer),
		Message: fmt.Sprintf("invalid JSON at line %d, column %d: %s", line, col, what)}}}
}

// fieldPath spells a JSON Pointer as our field paths do:
// /work_orders/3/time_windows/0 is work_orders[3].time_windows[0]. A
// token of digits is taken for a list index.
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if tok != "" && strings.Trim(tok, "0123456789") == "" {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}
