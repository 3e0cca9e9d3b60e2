package network

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/importers/parse"
)

// IsRoadFile reports whether path names a bureau's road file (GeoJSON or Shapefile,
// ReadRoadFile) rather than an OpenStreetMap extract (.osm.pbf or OSM XML).
func IsRoadFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".geojson", ".json", ".shp":
		return true
	}
	return false
}

// ReadFile reads a road network from an OpenStreetMap extract (ReadOSMFile) or a bureau's
// road file (ReadRoadFile), told by the name's extension.
func ReadFile(ctx context.Context, path string, bound *orb.Bound) (*Network, error) {
	if IsRoadFile(path) {
		nw, _, err := ReadRoadFile(hostFS{}, path, bound, "")
		return nw, err
	}
	return ReadOSMFile(ctx, path, bound)
}

// MaxRoadRejects is how many rejected features of a road file an error names.
const MaxRoadRejects = 10

// ReadRoadFile reads a bureau's road network (路网: GeoJSON or Shapefile lines with class,
// speed, oneway, … columns; parse.ReadRoadNetwork) into a network, the lines split into
// edges where they share a vertex. A file with rejected features is refused, naming them
// (file, feature, field and reason). enc overrides the encoding detection.
func ReadRoadFile(fsys fs.FS, path string, bound *orb.Bound, enc string) (*Network, parse.Source, error) {
	res, err := parse.ReadRoadNetwork(fsys, path, parse.RoadNetworkOptions{Bound: bound, Encoding: enc})
	if err != nil {
		return nil, res.Source, err
	}
	if n := len(res.Rejects); n > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %d of its features are not usable roads:", path, n)
		for i, r := range res.Rejects {
			if i == MaxRoadRejects {
				fmt.Fprintf(&b, "\n  … and %d more", n-i)
				break
			}
			b.WriteString("\n  " + r.Err.Error())
		}
		return nil, res.Source, fmt.Errorf("%s", b.String())
	}
	if len(res.Ways) == 0 {
		return nil, res.Source, fmt.Errorf("%s: no road lines%s", path, map[bool]string{true: " within the bounding box", false: ""}[bound != nil])
	}
	nw, err := FromOSM(res.Ways)
	return nw, res.Source, err
}

// hostFS opens host files by the paths as typed (error messages name them so).
type hostFS struct{}

func (hostFS) Open(name string) (fs.File, error) { return os.Open(filepath.FromSlash(name)) }
