package format

import (
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"
)

// GeoPackage identifiers (OGC 12-128r18, GeoPackage 1.3).
const (
	gpkgApplicationID = 0x47504B47 // "GPKG"
	gpkgUserVersion   = 10300      // 1.3.0
)

// SRS ids written to gpkg_spatial_ref_sys.
const (
	SRSWGS84 = 4326
	// SRSGCJ02 is a private id for GCJ-02 coordinates: WGS84 axes with the Chinese offset,
	// which no EPSG code describes.
	SRSGCJ02 = 990002
)

const wgs84WKT = `GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]`

// GeoPackageOptions control WriteGeoPackage.
type GeoPackageOptions struct {
	// SRSID is SRSWGS84 (default) or SRSGCJ02.
	SRSID int
	// Modified is gpkg_contents.last_change (zero: now).
	Modified time.Time
}

// WriteGeoPackage writes layers as feature tables of a new GeoPackage at path (an existing
// file is replaced): the required gpkg_spatial_ref_sys, gpkg_contents and
// gpkg_geometry_columns tables, application_id 'GPKG', user_version 10300, and geometries
// as GeoPackage binary (header with envelope, then little-endian WKB).
func WriteGeoPackage(path string, layers []*Layer, opts GeoPackageOptions) error {
	for _, l := range layers {
		if err := l.Check(); err != nil {
			return err
		}
	}
	if opts.SRSID == 0 {
		opts.SRSID = SRSWGS84
	}
	if opts.Modified.IsZero() {
		opts.Modified = time.Now()
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return fmt.Errorf("geopackage: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	stmts := []string{
		fmt.Sprintf("PRAGMA application_id = %d", gpkgApplicationID),
		fmt.Sprintf("PRAGMA user_version = %d", gpkgUserVersion),
		`CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)`,
		`CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))`,
		`CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))`,
	}
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("geopackage: %w", err)
	}
	defer tx.Rollback()
	for _, s := range stmts {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("geopackage: %w", err)
		}
	}
	srs := [][]any{
		{"Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"},
		{"Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"},
		{"WGS 84 geodetic", 4326, "EPSG", 4326, wgs84WKT, "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"},
	}
	if opts.SRSID == SRSGCJ02 {
		srs = append(srs, []any{"GCJ-02", SRSGCJ02, "NONE", SRSGCJ02, wgs84WKT,
			"GCJ-02 (国测局坐标, used by Amap/Tencent): WGS 84 longitude/latitude with the Chinese offset; not an EPSG system"})
	}
	for _, r := range srs {
		if _, err := tx.Exec(`INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)`, r...); err != nil {
			return fmt.Errorf("geopackage: %w", err)
		}
	}
	lastChange := opts.Modified.UTC().Format("2006-01-02T15:04:05.000Z")
	for _, l := range layers {
		if err := writeGPKGLayer(tx, l, opts.SRSID, lastChange); err != nil {
			return fmt.Errorf("geopackage: layer %s: %w", l.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("geopackage: %w", err)
	}
	return db.Close()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func writeGPKGLayer(tx *sql.Tx, l *Layer, srsID int, lastChange string) error {
	cols := []string{"fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", "geom " + l.GeometryType}
	names := []string{"geom"}
	for _, f := range l.Fields {
		t := map[FieldType]string{String: "TEXT", Integer: "INTEGER", Real: "REAL", Date: "DATE"}[f.Type]
		cols = append(cols, quoteIdent(f.Name)+" "+t)
		names = append(names, quoteIdent(f.Name))
	}
	if _, err := tx.Exec(fmt.Sprintf("CREATE TABLE %s (%s)", quoteIdent(l.Name), strings.Join(cols, ", "))); err != nil {
		return err
	}
	ins, err := tx.Prepare(fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", quoteIdent(l.Name), strings.Join(names, ", "),
		strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")))
	if err != nil {
		return err
	}
	defer ins.Close()
	var bound orb.Bound
	haveBound := false
	for _, f := range l.Features {
		args := make([]any, 0, len(names))
		if f.Geometry == nil {
			args = append(args, nil)
		} else {
			blob, err := gpkgGeometry(f.Geometry, srsID)
			if err != nil {
				return err
			}
			args = append(args, blob)
			if b := f.Geometry.Bound(); !haveBound {
				bound, haveBound = b, true
			} else {
				bound = bound.Union(b)
			}
		}
		for i, v := range f.Values {
			switch l.Fields[i].Type {
			case Date:
				if s := text(v); s != "" {
					args = append(args, s)
				} else {
					args = append(args, nil)
				}
			default:
				args = append(args, v)
			}
		}
		if _, err := ins.Exec(args...); err != nil {
			return err
		}
	}
	var minX, minY, maxX, maxY any
	if haveBound {
		minX, minY, maxX, maxY = bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]
	}
	title := l.Title
	if title == "" {
		title = l.Name
	}
	if _, err := tx.Exec(`INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id)
VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, ?)`, l.Name, title, title, lastChange, minX, minY, maxX, maxY, srsID); err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)`, l.Name, l.GeometryType, srsID)
	return err
}

// gpkgGeometry encodes g as GeoPackage binary: "GP", version 0, flags (little-endian,
// envelope [minx, maxx, miny, maxy] except for points), srs_id, envelope, WKB.
func gpkgGeometry(g orb.Geometry, srsID int) ([]byte, error) {
	body, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return nil, err
	}
	_, isPoint := g.(orb.Point)
	flags := byte(1) // little-endian header values
	var env []float64
	if !isPoint {
		b := g.Bound()
		env = []float64{b.Min[0], b.Max[0], b.Min[1], b.Max[1]}
		flags |= 1 << 1 // envelope code 1: xy
	}
	out := make([]byte, 8, 8+8*len(env)+len(body))
	out[0], out[1], out[2], out[3] = 'G', 'P', 0, flags
	binary.LittleEndian.PutUint32(out[4:], uint32(int32(srsID)))
	for _, v := range env {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	}
	return append(out, body...), nil
}
