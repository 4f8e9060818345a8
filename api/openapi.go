package api

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/auth"
	"github.com/dispatchd/dispatchd/model"
)

// openapi serves the OpenAPI document. It is built from the server's route
// table and from the Go types each route decodes and encodes, by
// reflection over their JSON tags, so that it cannot drift from the code
// it describes.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	s.openapiOnce.Do(func() { s.openapiDoc = document(s.routes) })
	s.writeJSON(w, r, http.StatusOK, s.openapiDoc)
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// document returns the OpenAPI 3.1 description of the routes.
func document(routes []route) map[string]any {
	g := &schemas{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": operationID(rt),
			"responses":   g.responses(rt),
		}
		if slices.Contains(rt.allow, auth.Anyone) {
			op["security"] = []any{}
		} else {
			roles := auth.RolesFor(rt.allow)
			op["security"] = []any{map[string]any{"bearer": []string{}}}
			op["x-roles"] = roles
			desc := "Roles: " + auth.Spell(roles) + "."
			if slices.Contains(rt.allow, auth.Field) {
				desc += " A technician's key reaches only its own technician's records."
			}
			op["description"] = desc
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
				"schema": map[string]any{"type": "string", "pattern": model.IDPattern}})
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "required": q.required, "description": q.doc, "schema": map[string]any{"type": q.typ}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.request != nil {
			op["requestBody"] = map[string]any{"required": !rt.optional, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.request))}}}
		}
		if paths[rt.pattern] == nil {
			paths[rt.pattern] = map[string]any{}
		}
		paths[rt.pattern][strings.ToLower(rt.method)] = op
	}
	g.defs["Problem"] = g.structSchema(reflect.TypeFor[Problem]())
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "dispatchd",
			"version": "1",
			"description": "Field-service scheduling: suggest the best technician for a work order, plan a day, keep technicians' state. " +
				"Errors are application/problem+json naming each bad field. " +
				"Bodies are application/json (else 415), valid UTF-8, with no duplicate or case-mismatched names (400). " +
				"Ids match " + model.IDPattern + ". " + limitsText() + " " +
				"Every /v1 route needs an API key (Authorization: Bearer <token>); each operation names the roles that may call it. " +
				"No body names its actor: a body's by is refused, and history records the key's name and id.",
		},
		"paths": paths,
		"components": map[string]any{"schemas": g.defs, "securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer",
				"description": "An API key's token (dk_…), shown once by POST /v1/keys or dispatchd keys create, or DISPATCHD_BOOTSTRAP_KEY. " +
					"Missing or bad: 401 with WWW-Authenticate: Bearer; a role that may not: 403 naming the roles that may."}}},
	}
}

func operationID(rt route) string {
	name := strings.ToLower(rt.method)
	for _, part := range strings.Split(strings.Trim(rt.pattern, "/"), "/") {
		part = strings.Trim(part, "{}")
		part = strings.TrimSuffix(strings.TrimPrefix(part, "."), ".json")
		if part == "" {
			continue
		}
		name += strings.ToUpper(part[:1]) + part[1:]
	}
	return name
}

func (g *schemas) responses(rt route) map[string]any {
	out := map[string]any{}
	ok := map[string]any{"description": http.StatusText(rt.status)}
	switch {
	case rt.raw == "text/plain" || rt.raw == "text/html":
		ok["content"] = map[string]any{rt.raw: map[string]any{"schema": map[string]any{"type": "string"}}}
	case rt.raw != "":
		ok["content"] = map[string]any{rt.raw: map[string]any{"schema": map[string]any{"type": "object"}}}
	case rt.response != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.response))}}
	}
	out[strconv.Itoa(rt.status)] = ok
	if rt.waited != nil {
		out["200"] = map[string]any{"description": "the result, with ?wait=true",
			"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.waited))}}}
	}
	codes := slices.Clone(rt.errors)
	if !slices.Contains(rt.allow, auth.Anyone) {
		for _, c := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests} {
			if !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
	}
	for _, code := range codes {
		out[strconv.Itoa(code)] = map[string]any{"description": http.StatusText(code),
			"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	}
	return out
}

// schemas builds JSON Schemas for Go types, named types once each under
// components.
type schemas struct {
	defs map[string]any
	// types are the Go types the schemas describe, by schema name: two
	// types of one name (model.Outcome and another package's Outcome)
	// would otherwise share one schema, the second described as the first.
	types map[string]reflect.Type
}

// enums are the model's vocabularies, described as the closed lists they
// are: the document takes them from the one list each has in model.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[model.Status]():       names(model.Statuses),
	reflect.TypeFor[model.OutcomeCode]():  names(model.OutcomeCodes),
	reflect.TypeFor[model.EventType]():    names(model.EventTypes),
	reflect.TypeFor[model.ConflictKind](): names(model.ConflictKinds),
	reflect.TypeFor[model.LiveStatus]():   names(model.LiveStatuses),
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	dateType     = reflect.TypeFor[model.Date]()
	durationType = reflect.TypeFor[time.Duration]()
)

func (g *schemas) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case dateType:
		return map[string]any{"type": "string", "format": "date"}
	case durationType:
		return map[string]any{"type": "integer"}
	}
	if values, ok := enums[t]; ok {
		return map[string]any{"type": "string", "enum": values}
	}
	switch t.Kind() {
	case reflect.Struct:
		name := schemaName(t)
		if g.types == nil {
			g.types = map[string]reflect.Type{}
		}
		if other, ok := g.types[name]; ok && other != t {
			panic(fmt.Sprintf("api: the OpenAPI document has two types named %s: %s and %s; rename one", name, other, t))
		}
		g.types[name] = t
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // a placeholder stops recursion
			g.defs[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

// schemaName names a type in the document: its Go name, exported.
func schemaName(t reflect.Type) string {
	n := t.Name()
	return strings.ToUpper(n[:1]) + n[1:]
}

// structSchema describes a struct by its JSON fields: embedded structs
// contribute theirs; fields without omitempty or omitzero are required.
func (g *schemas) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.schema(ft)
			if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && ft.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
	}
	walk(t)
	sort.Strings(required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// limitsText documents the default list limits and number ranges (the
// service's flags may change the limits).
func limitsText() string {
	l := model.DefaultLimits()
	return fmt.Sprintf("Default limits per body (serve's --max-… flags): %d technicians, %d work orders, %d positions, %d routes, "+
		"%d stops per route and %d in all, %d time windows per order, %d breaks per technician, %d skills, %d names per list, "+
		"%d capacity dimensions, %d matrix locations. Ranges: weights 0–%g; durations 0–%d s (a week); speed_kmh %d–%d; detour 1–%d; "+
		"skill levels 1–%d; technicians_needed ≤ %d; max_jobs ≤ %d; amounts 0–%g; cost_per_hour 0–%g; radius_m ≤ %d.",
		l.Technicians, l.WorkOrders, l.Positions, l.Routes, l.StopsPerRoute, l.Stops, l.TimeWindows, l.Breaks, l.Skills, l.Names,
		l.Dimensions, l.Locations, model.MaxWeight, model.MaxDuration, model.MinSpeedKmh, model.MaxSpeedKmh, model.MaxDetour,
		model.MaxSkillLevel, model.MaxCrew, model.MaxJobs, model.MaxAmount, model.MaxCostPerHour, model.MaxNearRadius)
}
