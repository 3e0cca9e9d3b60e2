package api

import (
	"net/http"
	"strings"
)

// OpenAPI builds an OpenAPI 3.1 document from the registered routes.
func (rt *Router) OpenAPI(title, version string) map[string]any {
	paths := map[string]any{}
	for _, route := range rt.Routes() {
		item, _ := paths[route.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[route.Path] = item
		}
		op := map[string]any{
			"summary":     route.Summary,
			"operationId": operationID(route),
			"responses":   responses(route),
		}
		if route.Description != "" {
			op["description"] = route.Description
		}
		if route.Tag != "" {
			op["tags"] = []string{route.Tag}
		}
		var params []any
		for _, p := range route.Params {
			schema := map[string]any{"type": p.Type}
			if len(p.Enum) > 0 {
				schema["enum"] = p.Enum
			}
			param := map[string]any{"name": p.Name, "in": p.In, "required": p.Required || p.In == "path", "schema": schema}
			if p.Description != "" {
				param["description"] = p.Description
			}
			if p.Example != "" {
				param["example"] = p.Example
			}
			params = append(params, param)
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if route.Body != "" {
			op["requestBody"] = map[string]any{
				"required":    true,
				"description": route.Body,
				"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}},
			}
		}
		if route.Role != "" {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
			op["x-required-role"] = route.Role
		}
		item[strings.ToLower(route.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": title, "version": version},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "an API token from `fangyuan token create`"}},
			"schemas": map[string]any{"Error": map[string]any{
				"type": "object",
				"properties": map[string]any{"error": map[string]any{"type": "object", "properties": map[string]any{
					"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}, "field": map[string]any{"type": "string"},
				}}, "request_id": map[string]any{"type": "string"}},
			}},
		},
	}
}

func operationID(r Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(r.Method))
	for _, part := range strings.Split(r.Path, "/") {
		part = strings.Trim(part, "{}")
		if part == "" || part == "api" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return strings.NewReplacer(".", "", "-", "").Replace(b.String())
}

func responses(r Route) map[string]any {
	errRef := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	content := map[string]any{}
	produces := r.Produces
	if len(produces) == 0 {
		produces = []string{"application/json"}
	}
	for _, p := range produces {
		content[p] = map[string]any{}
	}
	ok := "200"
	if r.Method == http.MethodPost {
		ok = "201"
	}
	out := map[string]any{ok: map[string]any{"description": "success", "content": content}, "400": errRef, "default": errRef}
	if r.Role != "" {
		out["401"] = errRef
		out["403"] = errRef
	}
	return out
}
