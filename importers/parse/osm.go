package parse

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
)

// osmScanner is what the PBF and XML scanners of paulmach/osm share.
type osmScanner interface {
	Scan() bool
	Object() osm.Object
	Err() error
	Close() error
}

// isXML tells an OSM XML file (.osm, starting with '<') from a PBF one.
func isXML(r io.ReadSeeker) (bool, error) {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t' || b[0] == 0xEF || b[0] == 0xBB || b[0] == 0xBF) {
			continue // whitespace, UTF-8 byte order mark
		}
		if _, serr := r.Seek(0, io.SeekStart); serr != nil {
			return false, serr
		}
		if n == 1 {
			return b[0] == '<', nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

func newOSMScanner(ctx context.Context, r io.ReadSeeker, xml bool, skipNodesWays bool) osmScanner {
	if xml {
		return osmxml.New(ctx, r)
	}
	sc := osmpbf.New(ctx, r, min(runtime.GOMAXPROCS(0), 4))
	if skipNodesWays {
		sc.SkipNodes, sc.SkipWays = true, true
	} else {
		sc.SkipRelations = true
	}
	return sc
}

// OSMWay is one routable way of an OpenStreetMap extract: a road (highway=*)
// or a ferry route (route=ferry).
type OSMWay struct {
	ID      int64
	Nodes   []int64     // OSM node ids, in way order
	Points  []orb.Point // their positions (WGS84), same length as Nodes
	Highway string      // highway class ("" for a ferry)
	// MaxspeedFwd and MaxspeedBwd are the posted speeds in km/h along and
	// against the way (maxspeed, maxspeed:forward, maxspeed:backward; mph
	// converted); 0 when not tagged.
	MaxspeedFwd, MaxspeedBwd float64
	// Oneway: 0 both directions, 1 along the way only, -1 against it only
	// (oneway=yes/true/1/-1/reverse; junction=roundabout implies 1).
	Oneway      int8
	Foot, Motor bool // whether walking and motor vehicles may use it (access, foot, motor_vehicle, motorcar)
	Bridge      bool
	Tunnel      bool
	Ferry       bool
	DurationS   float64 // ferry: the tagged crossing time in seconds (duration=hh:mm or minutes); 0 when untagged
	Junction    string
}

// OSMOptions control ReadOSM.
type OSMOptions struct {
	// Bound, when not empty, keeps only ways with at least one node inside it.
	Bound *orb.Bound
}

// OSMResult is the routable part of an OSM extract.
type OSMResult struct {
	File string
	Ways []OSMWay
	// Skipped counts ways dropped because a node was missing from the extract
	// (ways cut at the extract's edge keep their longest run of present nodes).
	Skipped int
}

// ReadOSM reads the routable ways of an .osm.pbf file (or an OSM XML .osm file,
// told by its first byte). Nodes come before ways in both; only the positions
// of nodes are kept.
func ReadOSM(ctx context.Context, path string, opt OSMOptions) (*OSMResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ScanOSM(ctx, path, f, opt)
}

// ScanOSM is ReadOSM on a seekable reader; name is used in messages. The file
// is read twice: first its relations (a multipolygon tagged highway=pedestrian
// gives its class to member ways that have none, as osm2pgrouting does), then
// its nodes and ways.
func ScanOSM(ctx context.Context, name string, r io.ReadSeeker, opt OSMOptions) (*OSMResult, error) {
	inherit := map[int64]osm.Tags{}
	xml, err := isXML(r)
	if err != nil {
		return nil, &Error{File: name, Reason: "reading the file: " + err.Error()}
	}
	format := map[bool]string{true: "OSM XML", false: "PBF"}[xml]
	rs := newOSMScanner(ctx, r, xml, true)
	for rs.Scan() {
		rel, ok := rs.Object().(*osm.Relation)
		if !ok || rel.Tags.Find("type") != "multipolygon" || rel.Tags.Find("highway") == "" {
			continue
		}
		for _, m := range rel.Members {
			if m.Type == osm.TypeWay && m.Role != "inner" {
				inherit[m.Ref] = rel.Tags
			}
		}
	}
	err = rs.Err()
	rs.Close()
	if err != nil {
		return nil, &Error{File: name, Reason: "reading the " + format + " file: " + err.Error()}
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	sc := newOSMScanner(ctx, r, xml, false)
	defer sc.Close()
	pos := map[int64]orb.Point{}
	res := &OSMResult{File: name}
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			pos[int64(o.ID)] = orb.Point{o.Lon, o.Lat}
		case *osm.Way:
			if rt, ok := inherit[int64(o.ID)]; ok && o.Tags.Find("highway") == "" {
				o.Tags = append(append(osm.Tags(nil), o.Tags...), rt...)
			}
			w, ok, err := osmWay(o)
			if err != nil {
				return nil, &Error{File: name, Field: fmt.Sprintf("way %d", o.ID), Reason: err.Error()}
			}
			if !ok {
				continue
			}
			// Keep the longest run of nodes present in the extract.
			best0, best1, run0 := 0, 0, 0
			for i, n := range o.Nodes {
				if _, ok := pos[int64(n.ID)]; !ok {
					run0 = i + 1
					continue
				}
				if i+1-run0 > best1-best0 {
					best0, best1 = run0, i+1
				}
			}
			if best1-best0 < 2 {
				res.Skipped++
				continue
			}
			if best1-best0 < len(o.Nodes) {
				res.Skipped++
			}
			inside := opt.Bound == nil
			for _, n := range o.Nodes[best0:best1] {
				p := pos[int64(n.ID)]
				w.Nodes = append(w.Nodes, int64(n.ID))
				w.Points = append(w.Points, p)
				if !inside && opt.Bound.Contains(p) {
					inside = true
				}
			}
			if inside {
				res.Ways = append(res.Ways, w)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: name, Reason: "reading the " + format + " file: " + err.Error()}
	}
	return res, nil
}

var (
	noWords  = map[string]bool{"no": true, "private": true, "agricultural": true, "forestry": true, "delivery": false, "discouraged": false}
	yesWords = map[string]bool{"yes": true, "designated": true, "permissive": true, "destination": true, "official": true, "customers": true}
	// Classes that motor vehicles do not use unless tagged otherwise.
	noMotorClasses = map[string]bool{"footway": true, "path": true, "pedestrian": true, "steps": true, "cycleway": true, "bridleway": true, "corridor": true, "elevator": true, "platform": true}
	// Classes that walkers may not use unless tagged otherwise.
	noFootClasses = map[string]bool{"motorway": true, "motorway_link": true}
	// Highway values that are not (yet) roads.
	notRoads = map[string]bool{"proposed": true, "construction": true, "abandoned": true, "disused": true, "razed": true, "platform": true, "bus_stop": true, "rest_area": true, "services": false}
)

// access resolves an access hierarchy: the most specific tag set wins.
func access(tags osm.Tags, def bool, keys ...string) bool {
	v := def
	for _, k := range keys {
		x := tags.Find(k)
		if x == "" {
			continue
		}
		if noWords[x] {
			v = false
		} else if yesWords[x] {
			v = true
		}
	}
	return v
}

func osmWay(o *osm.Way) (OSMWay, bool, error) {
	t := o.Tags
	w := OSMWay{ID: int64(o.ID)}
	hw := t.Find("highway")
	if t.Find("route") == "ferry" {
		w.Ferry = true
		w.Foot = access(t, true, "access", "foot")
		// A ferry tagged for walkers or cyclists only (foot=yes, no motor tag) carries no cars;
		// an untagged ferry carries both.
		walkersOnly := (t.Find("foot") != "" || t.Find("bicycle") != "") && t.Find("motor_vehicle") == "" && t.Find("motorcar") == ""
		w.Motor = access(t, !walkersOnly, "access", "vehicle", "motor_vehicle", "motorcar")
		if d := t.Find("duration"); d != "" {
			s, err := parseDuration(d)
			if err != nil {
				return w, false, fmt.Errorf("duration %q: %v", d, err)
			}
			w.DurationS = s
		}
	} else {
		// Pedestrian areas (area=yes) are kept: their outline is walkable, and
		// routers (osm2pgrouting) keep them too.
		if hw == "" || notRoads[hw] {
			return w, false, nil
		}
		w.Highway = hw
		w.Foot = access(t, !noFootClasses[hw], "access", "foot")
		w.Motor = access(t, !noMotorClasses[hw], "access", "vehicle", "motor_vehicle", "motorcar")
	}
	w.Bridge = t.Find("bridge") != "" && t.Find("bridge") != "no"
	w.Tunnel = t.Find("tunnel") != "" && t.Find("tunnel") != "no"
	w.Junction = t.Find("junction")
	switch t.Find("oneway") {
	case "yes", "true", "1":
		w.Oneway = 1
	case "-1", "reverse":
		w.Oneway = -1
	case "no", "false", "0":
	default:
		if w.Junction == "roundabout" || hw == "motorway" {
			w.Oneway = 1
		}
	}
	if v := t.Find("maxspeed"); v != "" {
		w.MaxspeedFwd = parseSpeed(v)
		w.MaxspeedBwd = w.MaxspeedFwd
	}
	if v := t.Find("maxspeed:forward"); v != "" {
		w.MaxspeedFwd = parseSpeed(v)
	}
	if v := t.Find("maxspeed:backward"); v != "" {
		w.MaxspeedBwd = parseSpeed(v)
	}
	return w, true, nil
}

// parseSpeed reads a maxspeed value in km/h ("50", "30 mph", "50 km/h");
// symbolic values (RU:urban, walk, none) give 0 (the class speed applies).
func parseSpeed(s string) float64 {
	s = strings.TrimSpace(strings.ToLower(s))
	mul := 1.0
	switch {
	case strings.HasSuffix(s, "mph"):
		mul, s = 1.609344, strings.TrimSpace(strings.TrimSuffix(s, "mph"))
	case strings.HasSuffix(s, "km/h"):
		s = strings.TrimSpace(strings.TrimSuffix(s, "km/h"))
	case strings.HasSuffix(s, "kmh"):
		s = strings.TrimSpace(strings.TrimSuffix(s, "kmh"))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0
	}
	return v * mul
}

// parseDuration reads an OSM duration: "mm", "hh:mm" or "hh:mm:ss", in seconds.
func parseDuration(s string) (float64, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) > 3 {
		return 0, fmt.Errorf("want mm, hh:mm or hh:mm:ss")
	}
	var secs float64
	mults := map[int][]float64{1: {60}, 2: {3600, 60}, 3: {3600, 60, 1}}[len(parts)]
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%q is not a non-negative number", p)
		}
		secs += v * mults[i]
	}
	if !(secs > 0) {
		return 0, fmt.Errorf("must be positive")
	}
	return secs, nil
}
