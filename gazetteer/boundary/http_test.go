package boundary_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fangyuan/gazetteer/boundary"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
)

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path, ctype string, body []byte) (int, []byte, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func TestHTTP(t *testing.T) {
	pool, dir := setup(t)
	importMarkers(t, pool, dir)
	as := auth.NewStore(pool)
	editorTok, _, err := as.CreateToken(ctx(), "bnd.editor", auth.BoundaryEditor, 0)
	if err != nil {
		t.Fatal(err)
	}
	plannerTok, _, err := as.CreateToken(ctx(), "planner", auth.Planner, 0)
	if err != nil {
		t.Fatal(err)
	}
	rt := api.NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)), &auth.Guard{Store: as, Reads: auth.ReadsOpen}, nil)
	rt.Handle(boundary.NewStore(pool).Routes()...)
	srv := httptest.NewServer(rt)
	defer srv.Close()
	anon := client{t, srv.URL, ""}
	ed := client{t, srv.URL, editorTok}
	pl := client{t, srv.URL, plannerTok}

	// Reads.
	code, body, _ := anon.do("GET", "/api/boundary/lines?within=339901&level=township", "", nil)
	var lines struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
		Total int `json:"total"`
	}
	if code != 200 || json.Unmarshal(body, &lines) != nil || lines.Total != 4 {
		t.Fatalf("lines %d %s", code, body)
	}
	code, body, _ = anon.do("GET", "/api/boundary/markers?condition=damaged", "", nil)
	if code != 200 || !strings.Contains(string(body), `"number":"E01"`) || strings.Contains(string(body), `"number":"AB01"`) {
		t.Errorf("markers %d %s", code, body)
	}
	code, body, _ = anon.do("GET", "/api/boundary/markers?condition=broken", "", nil)
	if code != 400 || !strings.Contains(string(body), `"field":"condition"`) {
		t.Errorf("bad condition %d %s", code, body)
	}
	code, body, _ = anon.do("GET", "/api/boundary/markers/check?max_offset=15", "", nil)
	// With 15 m, AB02 (0.0002° of longitude ≈ 19 m) and CD01 (≈ 96 m) are reported; AC01
	// (0.0001° of latitude ≈ 11 m) is not.
	if code != 200 || !strings.Contains(string(body), `"number":"AB02"`) || !strings.Contains(string(body), `"number":"CD01"`) || strings.Contains(string(body), `"number":"AC01"`) {
		t.Errorf("check %d %s", code, body)
	}

	// Deriving on the database: the 2×2 tiling's four shared edges are the official lines'
	// pairs and names, so the derivation is refused (422, naming the official lines) and
	// nothing is written; a bad level is a 400.
	code, body, _ = ed.do("POST", "/api/boundary/lines/derive", "application/json", []byte(`{"level":"township","within":"339901"}`))
	if code != 422 || !strings.Contains(string(body), "line L-AB between the same units has this name already") {
		t.Errorf("derive %d %s", code, body)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM boundary_line WHERE origin = 'derived'`); n != 0 {
		t.Errorf("%d derived lines written by a refused derivation", n)
	}
	if code, body, _ = ed.do("POST", "/api/boundary/lines/derive", "application/json", []byte(`{"level":"hamlet","within":"339901"}`)); code != 400 {
		t.Errorf("bad level %d %s", code, body)
	}

	// Writes need the boundary-editor role.
	roundBody := []byte(`{"name":"第五轮","year":2026,"unit":"339901"}`)
	if code, body, _ = anon.do("POST", "/api/boundary/rounds", "application/json", roundBody); code != 401 {
		t.Errorf("anonymous write %d %s", code, body)
	}
	if code, body, _ = pl.do("POST", "/api/boundary/rounds", "application/json", roundBody); code != 403 {
		t.Errorf("planner write %d %s", code, body)
	}
	code, body, _ = ed.do("POST", "/api/boundary/rounds", "application/json", roundBody)
	var round boundary.Round
	if code != 201 || json.Unmarshal(body, &round) != nil || round.Lines != 4 {
		t.Fatalf("create round %d %s", code, body)
	}
	if code, body, _ = ed.do("POST", "/api/boundary/rounds", "application/json", roundBody); code != 409 {
		t.Errorf("duplicate round %d %s", code, body)
	}
	if code, body, _ = ed.do("POST", "/api/boundary/rounds", "application/json", []byte(`{"name":"x","year":20260}`)); code != 400 || !strings.Contains(string(body), `"field":"year"`) {
		t.Errorf("bad year %d %s", code, body)
	}
	code, body, _ = ed.do("POST", fmt.Sprintf("/api/boundary/rounds/%d/teams", round.ID), "application/json", []byte(`{"name":"第一组","lines":["L-AB","L-AC"]}`))
	if code != 201 {
		t.Fatalf("team %d %s", code, body)
	}
	if code, body, _ = ed.do("POST", "/api/boundary/rounds/第五轮/teams", "application/json", []byte(`{"name":"第二组","lines":["L-AB"]}`)); code != 409 {
		t.Errorf("taken line %d %s", code, body)
	}
	if code, body, _ = ed.do("POST", "/api/boundary/rounds/第五轮/teams", "application/json", []byte(`{"name":"第三组","lines":["L-ZZ"]}`)); code != 400 {
		t.Errorf("unknown line %d %s", code, body)
	}

	// Package download: a zip whose markers.geojson lists the team's markers.
	if code, _, _ = anon.do("GET", "/api/boundary/rounds/第五轮/teams/第一组/package.zip", "", nil); code != 401 {
		t.Errorf("anonymous package %d", code)
	}
	code, body, hdr := ed.do("GET", "/api/boundary/rounds/第五轮/teams/第一组/package.zip", "", nil)
	if code != 200 || hdr.Get("Content-Type") != "application/zip" {
		t.Fatalf("package %d %s", code, body)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var markers []byte
	for _, f := range zr.File {
		names = append(names, f.Name)
		if strings.HasSuffix(f.Name, "/markers.geojson") {
			rc, _ := f.Open()
			markers, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	pkg := "package-" + hdr.Get("X-Package-Id")
	if want := strings.Join([]string{pkg + "/lines.geojson", pkg + "/markers.geojson", pkg + "/findings.geojson", pkg + "/package.kml",
		pkg + "/package.kmz", pkg + "/package.gpkg", pkg + "/manifest.json"}, ","); strings.Join(names, ",") != want {
		t.Errorf("zip entries %v", names)
	}
	for _, n := range []string{"AB01", "AB02", "J01", "E01", "AC01"} {
		if !strings.Contains(string(markers), `"number":"`+n+`"`) {
			t.Errorf("package lacks %s", n)
		}
	}
	if strings.Contains(string(markers), "CD01") {
		t.Error("package has another team's marker")
	}
	if code, body, _ = ed.do("GET", "/api/boundary/rounds/第五轮/teams/第一组/package.zip?crs=bd09", "", nil); code != 400 {
		t.Errorf("bd09 package %d %s", code, body)
	}
	if code, _, _ = ed.do("GET", "/api/boundary/rounds/第五轮/teams/第九组/package.zip", "", nil); code != 404 {
		t.Errorf("unknown team %d", code)
	}

	// Findings upload: a bad file is a 400 with the list; a good one applies.
	bad := "number,condition,date,inspector\nAB01,cracked,2026-10-01,张三\nZZ1,intact,2026-10-01,张三\n"
	code, body, _ = ed.do("POST", "/api/boundary/rounds/第五轮/findings?format=csv&name=team1.csv", "text/csv", []byte(bad))
	if code != 400 || !strings.Contains(string(body), "team1.csv:2: condition") || !strings.Contains(string(body), "team1.csv:3: number: no marker ZZ1") {
		t.Errorf("bad findings %d %s", code, body)
	}
	good := "number,condition,date,inspector,notes\nAB01,damaged,2026-10-01,张三,裂缝\n"
	code, body, _ = ed.do("POST", "/api/boundary/rounds/第五轮/findings?format=csv", "text/csv", []byte(good))
	var fr boundary.FindingsResponse
	if code != 200 || json.Unmarshal(body, &fr) != nil || fr.Applied != 1 {
		t.Fatalf("findings %d %s", code, body)
	}
	code, body, _ = ed.do("POST", "/api/boundary/rounds/第五轮/findings?format=csv", "text/csv", []byte(good))
	if json.Unmarshal(body, &fr) != nil || code != 200 || fr.Applied != 0 || fr.Unchanged != 1 {
		t.Errorf("re-upload %d %s", code, body)
	}

	// Marker edit with optimistic locking: AB01 is at version 2 now.
	var id int64
	if err := pool.QueryRow(context.Background(), `SELECT id FROM boundary_marker WHERE number = 'AB01'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	edit := `{"version":1,"kind":"single","condition":"intact","lon":120.01,"lat":30.003}`
	if code, body, _ = ed.do("PUT", fmt.Sprintf("/api/boundary/markers/%d", id), "application/json", []byte(edit)); code != 409 {
		t.Errorf("stale edit %d %s", code, body)
	}
	edit = `{"version":2,"kind":"single","condition":"intact","lon":120.01,"lat":30.003,"notes":"已修复"}`
	if code, body, _ = ed.do("PUT", fmt.Sprintf("/api/boundary/markers/%d", id), "application/json", []byte(edit)); code != 200 || !strings.Contains(string(body), `"version":3`) {
		t.Errorf("edit %d %s", code, body)
	}
	if n := queryInt(t, pool, `SELECT count(*) FROM audit_log WHERE entity = 'boundary_marker' AND action = 'update' AND actor = 'bnd.editor'`); n != 1 {
		t.Errorf("audit %d", n)
	}

	// Round progress and the XLSX summary.
	code, body, _ = anon.do("GET", "/api/boundary/rounds/"+fmt.Sprint(round.ID), "", nil)
	if code != 200 || !strings.Contains(string(body), `"inspected":1`) {
		t.Errorf("round %d %s", code, body)
	}
	code, body, _ = anon.do("GET", "/api/boundary/rounds/第五轮/summary.xlsx", "", nil)
	if code != 200 {
		t.Fatalf("summary %d %s", code, body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("汇总 teams")
	if err != nil || len(rows) < 2 || rows[1][0] != "第一组" || rows[1][3] != "5" || rows[1][4] != "1" || rows[1][7] != "1" {
		t.Errorf("summary rows %v %v", rows, err)
	}
	frows, err := x.GetRows("成果 findings")
	if err != nil || len(frows) != 2 || frows[1][1] != "AB01" || frows[1][3] != "damaged" || frows[1][5] != "张三" {
		t.Errorf("findings rows %v %v", frows, err)
	}
	if code, _, _ = anon.do("GET", "/api/boundary/rounds/第九轮", "", nil); code != 404 {
		t.Errorf("unknown round %d", code)
	}
}
