package boundary

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"fangyuan/geo"
	"fangyuan/geo/format"
	"fangyuan/internal/auth"
)

// Package file names.
const (
	FileLines        = "lines.geojson"
	FileMarkers      = "markers.geojson"
	FileFindings     = "findings.geojson"
	FileKML          = "package.kml"
	FileKMZ          = "package.kmz"
	FileGeoPackage   = "package.gpkg"
	FileManifest     = "manifest.json"
	ManifestFormatID = "fangyuan-field-package/1"
)

// PackageFiles are the files of a field package in the order they are written (the
// manifest last).
var PackageFiles = []string{FileLines, FileMarkers, FileFindings, FileKML, FileKMZ, FileGeoPackage, FileManifest}

// Manifest describes a field package (manifest.json).
type Manifest struct {
	Format     string                `json:"format"`
	PackageID  int64                 `json:"package_id"`
	Round      ManifestRef           `json:"round"`
	Team       ManifestRef           `json:"team"`
	CRS        string                `json:"crs"`
	ExportedAt time.Time             `json:"exported_at"`
	Counts     map[string]int        `json:"counts"`
	Files      []format.ManifestFile `json:"files"`
	Note       string                `json:"note"`
}

// ManifestRef names a round or team.
type ManifestRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Year int    `json:"year,omitempty"`
}

var conditionStyles = []format.Style{
	{ID: "intact", Color: "ff3cb371", IconScale: 1},
	{ID: "damaged", Color: "ff008cff", IconScale: 1.1},
	{ID: "missing", Color: "ff0000ff", IconScale: 1.2},
	{ID: "moved", Color: "ffd355ba", IconScale: 1.1},
}

// WritePackage exports the field package of a team (its lines, their markers and the
// previous findings on those markers) into dir as GeoJSON, KML, KMZ, GeoPackage and
// manifest.json, in WGS84 or GCJ-02 (crs), and records the package with the version of
// every marker in it: findings are later checked against those versions.
func (s *Store) WritePackage(ctx context.Context, roundID, teamID int64, crs geo.CRS, dir string) (Manifest, error) {
	var man Manifest
	if crs != geo.WGS84 && crs != geo.GCJ02 {
		return man, &InputError{"crs", "a package is in wgs84 or gcj02"}
	}
	p, ok := auth.FromContext(ctx)
	if !ok {
		return man, auth.ErrNoPrincipal
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return man, err
	}
	round, err := scanRound(s.pool.QueryRow(ctx, sqlGetRound, roundID))
	if err != nil {
		return man, fmt.Errorf("round %d: %w", roundID, err)
	}
	var teamName string
	if err := s.pool.QueryRow(ctx, sqlTeamName, teamID).Scan(&teamName); err != nil {
		return man, fmt.Errorf("team %d: %w", teamID, err)
	}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		lines, err := collectLines(ctx, tx, roundID, teamID)
		if err != nil {
			return err
		}
		markers, err := collectMarkers(ctx, tx, roundID, teamID)
		if err != nil {
			return err
		}
		ids := make([]int64, len(markers))
		versions := make([]int32, len(markers))
		updated := make([]time.Time, len(markers))
		for i, m := range markers {
			ids[i], versions[i], updated[i] = m.ID, int32(m.Version), m.UpdatedAt
		}
		var pkgID int64
		var at time.Time
		if err := tx.QueryRow(ctx, sqlInsertPackage, roundID, teamID, crs.String(), p.Name).Scan(&pkgID, &at); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlRecordPackageMarkers, pkgID, ids, versions, updated); err != nil {
			return err
		}
		findings, err := previousFindings(ctx, tx, ids)
		if err != nil {
			return err
		}
		conv := func(g orb.Geometry) orb.Geometry {
			if crs == geo.WGS84 {
				return g
			}
			return format.Transform(g, crs.FromWGS84)
		}
		layers := packageLayers(lines, markers, findings, pkgID, conv)
		man = Manifest{Format: ManifestFormatID, PackageID: pkgID, Round: ManifestRef{round.ID, round.Name, round.Year},
			Team: ManifestRef{ID: teamID, Name: teamName}, CRS: crs.String(), ExportedAt: at.UTC(),
			Counts: map[string]int{"lines": len(lines), "markers": len(markers), "findings": len(findings)},
			Note: "界线联检外业数据包. Edit markers.geojson (condition, inspector, date, notes, photos; move the point if re-measured) " +
				"and bring it back: fangyuan boundaries findings --round R markers.geojson. Keep the version property: it detects markers changed since export."}
		if crs == geo.GCJ02 {
			man.Note += " Coordinates are GCJ-02 (火星坐标); import the findings with --crs gcj02."
		}
		counts := map[string]int{}
		for _, l := range layers {
			counts[l.Name] = len(l.Features)
		}
		for i, l := range layers {
			name := []string{FileLines, FileMarkers, FileFindings}[i]
			if err := writeFile(filepath.Join(dir, name), func(w io.Writer) error { return format.WriteGeoJSON(w, l) }); err != nil {
				return err
			}
			e, err := format.FileEntry(dir, name, map[string]int{l.Name: len(l.Features)})
			if err != nil {
				return err
			}
			man.Files = append(man.Files, e)
		}
		docName := fmt.Sprintf("%s %s 界线联检", round.Name, teamName)
		if err := writeFile(filepath.Join(dir, FileKML), func(w io.Writer) error { return format.WriteKML(w, docName, layers) }); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, FileKMZ), func(w io.Writer) error { return format.WriteKMZ(w, docName, layers, at) }); err != nil {
			return err
		}
		srs := format.SRSWGS84
		if crs == geo.GCJ02 {
			srs = format.SRSGCJ02
		}
		if err := format.WriteGeoPackage(filepath.Join(dir, FileGeoPackage), layers, format.GeoPackageOptions{SRSID: srs, Modified: at}); err != nil {
			return err
		}
		for _, name := range []string{FileKML, FileKMZ, FileGeoPackage} {
			e, err := format.FileEntry(dir, name, counts)
			if err != nil {
				return err
			}
			man.Files = append(man.Files, e)
		}
		if err := format.WriteJSON(filepath.Join(dir, FileManifest), man); err != nil {
			return err
		}
		mj, err := json.Marshal(man)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlSetPackageManifest, pkgID, mj); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "export", Entity: "inspection_package", Key: fmt.Sprintf("%d", pkgID),
			Detail: map[string]any{"round": round.Name, "team": teamName, "crs": crs.String(), "counts": man.Counts}})
	})
	return man, err
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func collectLines(ctx context.Context, tx pgx.Tx, roundID, teamID int64) ([]Line, error) {
	rows, err := tx.Query(ctx, sqlListLines, nil, nil, roundID, teamID, 1000000, 0)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var total int
		l, err := scanLine(rows, &total)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func collectMarkers(ctx context.Context, tx pgx.Tx, roundID, teamID int64) ([]Marker, error) {
	rows, err := tx.Query(ctx, sqlListMarkers, nil, nil, roundID, teamID, 1000000, 0)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Marker
	for rows.Next() {
		var total int
		m, err := scanMarker(rows, &total)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// pastFinding is a finding as exported in a package.
type pastFinding struct {
	number, round, condition, inspector, notes, status string
	date                                               time.Time
	photos                                             []string
	lon, lat                                           float64
}

func previousFindings(ctx context.Context, tx pgx.Tx, markerIDs []int64) ([]pastFinding, error) {
	rows, err := tx.Query(ctx, sqlPreviousFindings, markerIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (pastFinding, error) {
		var f pastFinding
		err := r.Scan(&f.number, &f.round, &f.condition, &f.inspector, &f.date, &f.notes, &f.photos, &f.status, &f.lon, &f.lat)
		return f, err
	})
}

// packageLayers builds the lines, markers and findings layers.
func packageLayers(lines []Line, markers []Marker, findings []pastFinding, pkgID int64, conv func(orb.Geometry) orb.Geometry) []*format.Layer {
	ll := &format.Layer{Name: "lines", Title: "界线 boundary lines", GeometryType: "MULTILINESTRING", NameField: "name",
		Fields: []format.Field{fld("id", format.String), fld("name", format.String), fld("level", format.Integer), fld("left_code", format.String),
			fld("right_code", format.String), fld("length_m", format.Real), fld("last_inspected", format.Date)},
		Styles: []format.Style{{ID: "line", Color: "ff1e1ee6", Width: 3}}}
	for _, l := range lines {
		ll.Features = append(ll.Features, format.Feature{Geometry: conv(l.Geometry),
			Values: []any{l.ExtID, l.Name, l.Level, l.LeftCode, l.RightCode, roundTo(l.LengthM, 0.01), l.LastInspected}})
	}
	ml := &format.Layer{Name: "markers", Title: "界桩 boundary markers", GeometryType: "POINT", NameField: "number", Styles: conditionStyles,
		Fields: []format.Field{fld("number", format.String), fld("line", format.String), fld("line_name", format.String), fld("kind", format.String),
			fld("condition", format.String), fld("installed_on", format.Date), fld("last_inspected", format.Date), fld("photos", format.String),
			fld("notes", format.String), fld("version", format.Integer), fld("package", format.Integer), fld("inspector", format.String), fld("date", format.Date)}}
	for _, m := range markers {
		ml.Features = append(ml.Features, format.Feature{Geometry: conv(orb.Point{m.Lon, m.Lat}), Style: m.Condition,
			Values: []any{m.Number, m.LineExtID, m.LineName, m.Kind, m.Condition, m.InstalledOn, m.LastInspected,
				strings.Join(m.Photos, ";"), m.Notes, m.Version, pkgID, "", nil}})
	}
	fl := &format.Layer{Name: "findings", Title: "历次联检成果 previous findings", GeometryType: "POINT", NameField: "number", Styles: conditionStyles,
		Fields: []format.Field{fld("number", format.String), fld("round", format.String), fld("condition", format.String), fld("status", format.String),
			fld("inspector", format.String), fld("date", format.Date), fld("notes", format.String), fld("photos", format.String)}}
	for _, f := range findings {
		fl.Features = append(fl.Features, format.Feature{Geometry: conv(orb.Point{f.lon, f.lat}), Style: f.condition,
			Values: []any{f.number, f.round, f.condition, f.status, f.inspector, f.date, f.notes, strings.Join(f.photos, ";")}})
	}
	return []*format.Layer{ll, ml, fl}
}

func fld(name string, t format.FieldType) format.Field { return format.Field{Name: name, Type: t} }

func roundTo(v, step float64) float64 {
	return float64(int64(v/step+0.5)) * step
}

// ZipDir writes the package files of dir as a zip (the API download), in PackageFiles
// order, under a folder named prefix.
func ZipDir(w io.Writer, dir, prefix string, modified time.Time) error {
	zw := zip.NewWriter(w)
	for _, name := range PackageFiles {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		zf, err := zw.CreateHeader(&zip.FileHeader{Name: prefix + "/" + name, Method: zip.Deflate, Modified: modified})
		if err == nil {
			_, err = io.Copy(zf, f)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}
