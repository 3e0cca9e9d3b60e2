package ogcapi

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
)

// Plain server-rendered pages: no script, no external resource.
var pages = template.Must(template.New("page").Funcs(template.FuncMap{
	"selfHref": selfHref,
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:1.5em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}nav a{margin-right:1em}pre{white-space:pre-wrap;font-size:85%}</style>
</head><body>
<nav><a href="{{.Base}}?f=html">Home</a><a href="{{.Base}}/collections?f=html">Collections</a><a href="{{.Base}}/conformance?f=html">Conformance</a><a href="{{.Base}}/api">OpenAPI</a></nav>
<h1>{{.Title}}</h1>
{{with .Doc.description}}<p>{{.}}</p>{{end}}
{{if eq .Kind "collections"}}<table><tr><th>id</th><th>title</th><th>description</th><th></th></tr>
{{range .Doc.collections}}<tr><td><a href="{{.links | selfHref}}?f=html">{{.id}}</a></td><td>{{.title}}</td><td>{{.description}}</td><td><a href="{{.links | selfHref}}/items?f=html">items</a></td></tr>{{end}}</table>{{end}}
{{if eq .Kind "conformance"}}<ul>{{range .Doc.conformsTo}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if eq .Kind "queryables"}}<table><tr><th>name</th><th>type</th><th>title</th><th>queryable</th></tr>{{range .Doc.properties}}<tr><td>{{.Name}}</td><td>{{.Type}}</td><td>{{.Title}}</td><td>{{if .Queryable}}yes{{end}}</td></tr>{{end}}</table>{{end}}
{{if .Items}}<p>{{.ItemsNote}}</p><table><tr><th>id</th>{{range .Columns}}<th>{{.}}</th>{{end}}<th>geometry</th></tr>
{{range .Items}}<tr><td><a href="{{.Href}}">{{.ID}}</a></td>{{range .Values}}<td>{{.}}</td>{{end}}<td>{{.Geom}}</td></tr>{{end}}</table>{{end}}
<h2>Links</h2><ul>{{range .Links}}<li><a href="{{.Href}}">{{.Rel}}</a> {{.Title}} ({{.Type}})</li>{{end}}</ul>
</body></html>`))

func selfHref(v any) string {
	if ls, ok := v.([]Link); ok {
		for _, l := range ls {
			if l.Rel == "self" {
				return l.Href
			}
		}
	}
	return ""
}

const (
	pageLanding     = "landing"
	pageConformance = "conformance"
	pageCollections = "collections"
	pageCollection  = "collection"
	pageQueryables  = "queryables"
)

type htmlItem struct {
	ID, Href, Geom string
	Values         []string
}

type htmlPage struct {
	Title, Kind, Base string
	Doc               map[string]any
	Links             []Link
	Columns           []string
	Items             []htmlItem
	ItemsNote         string
}

func writeHTML(w http.ResponseWriter, p htmlPage) error {
	var b bytes.Buffer
	if err := pages.Execute(&b, p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write(b.Bytes())
	return err
}

func renderHTML(w http.ResponseWriter, title string, doc map[string]any, kind string) error {
	links, _ := doc["links"].([]Link)
	return writeHTML(w, htmlPage{Title: title, Kind: kind, Base: Prefix, Doc: doc, Links: links})
}

func renderItemsHTML(w http.ResponseWriter, m Meta, feats []Feature, links []Link, matched int64, stamp string, crs CRS) error {
	p := htmlPage{Title: m.Title, Kind: "items", Base: Prefix, Doc: map[string]any{"description": m.Description}, Links: links}
	for _, pr := range m.Properties {
		p.Columns = append(p.Columns, pr.Name)
	}
	for _, f := range feats {
		var props map[string]any
		_ = json.Unmarshal(f.Properties, &props)
		it := htmlItem{ID: f.ID, Href: Prefix + "/collections/" + m.ID + "/items/" + f.ID + "?f=html", Geom: "—"}
		for _, pr := range m.Properties {
			v := props[pr.Name]
			if v == nil {
				it.Values = append(it.Values, "")
				continue
			}
			b, _ := json.Marshal(v)
			s := string(b)
			if str, ok := v.(string); ok {
				s = str
			}
			it.Values = append(it.Values, s)
		}
		if f.Geometry != nil {
			var g struct {
				Type string `json:"type"`
			}
			_ = json.Unmarshal(f.Geometry, &g)
			it.Geom = g.Type
			if g.Type == "Point" {
				it.Geom = string(f.Geometry)
			}
		}
		p.Items = append(p.Items, it)
	}
	p.ItemsNote = "numberReturned: " + itoa(len(feats))
	if matched >= 0 {
		p.ItemsNote += ", numberMatched: " + itoa(int(matched))
	}
	if stamp != "" {
		p.ItemsNote += ", timeStamp: " + stamp
	}
	p.ItemsNote += ", CRS: " + crs.URI
	return writeHTML(w, p)
}

func itoa(n int) string { return strconv.Itoa(n) }
