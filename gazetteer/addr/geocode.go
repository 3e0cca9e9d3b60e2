package addr

import (
	"strings"

	"github.com/paulmach/orb"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/locate"
	"fangyuan/gazetteer/search"
	"fangyuan/gazetteer/snapshot"
)

// Precision of a geocoded point, best first.
const (
	PrecisionHouse   = "house_number"      // a house number on record
	PrecisionRoadNum = "road_interpolated" // on the road, placed by number (between records or by the numbering rule)
	PrecisionRoad    = "road"              // the road's middle (no number given)
	PrecisionPlace   = "place"             // a place name on record (地名: compound, POI, village ...), at its point
)

// Geocoded is the answer for one address.
type Geocoded struct {
	Query      string     `json:"query"`
	Status     string     `json:"status"` // ok | no_point (understood, but nothing with geometry) | not_found
	Point      *orb.Point `json:"point,omitempty"`
	Precision  string     `json:"precision,omitempty"` // house_number|road_interpolated|road|village|township|county|prefecture|province
	Method     string     `json:"method,omitempty"`    // for road_interpolated: between_records | numbering_rule | numbering_rule_beyond_end
	Confidence float64    `json:"confidence"`
	Code       string     `json:"code,omitempty"`
	Parsed     Parsed     `json:"parsed"`
}

// Geocode parses text and places it.
func Geocode(sx *search.Index, lx *locate.Index, text string, day snapshot.Day) Geocoded {
	p := Parse(sx, text, day)
	g := Geocoded{Query: text, Parsed: p, Confidence: p.Confidence, Code: p.Code}
	d := sx.Data()
	if p.Number == 0 { // a named place is more precise than a road's middle or a unit
		if pl, n := placeFor(sx, &p); pl != nil {
			pt := pl.Point
			g.Point, g.Precision, g.Status, g.Code = &pt, PrecisionPlace, "ok", pl.AdminCode
			g.Confidence = float64(int(900/float64(n)+0.5)) / 1000
			return g
		}
	}
	if p.road >= 0 {
		if p.Number > 0 {
			pl := lx.PlaceNumber(p.road, p.Number, p.Suffix, day)
			g.Point = &pl.Point
			switch pl.Precision {
			case "house_number":
				g.Precision = PrecisionHouse
			case "interpolated":
				g.Precision, g.Method = PrecisionRoadNum, "between_records"
			default:
				g.Precision, g.Method = PrecisionRoadNum, "numbering_rule"
				if pl.Beyond {
					g.Method = "numbering_rule_beyond_end"
					g.Confidence *= 0.8
				}
			}
		} else {
			pt := lx.PointAlong(p.road, lx.RoadLength(p.road)/2, 0)
			g.Point, g.Precision = &pt, PrecisionRoad
		}
		g.Status = "ok"
		return g
	}
	if p.unit >= 0 {
		// The deepest unit with a boundary on record among the parsed one and its parents.
		var buf [6]int32
		chain := d.Chain(buf[:0], p.unit, day)
		for k := len(chain) - 1; k >= 0; k-- {
			u := &d.Units[chain[k]]
			if len(u.Geom) > 0 {
				pt := u.Center
				g.Point, g.Precision, g.Status = &pt, gazetteer.Level(u.Level).String(), "ok"
				if chain[k] != p.unit {
					g.Confidence *= 0.9
				}
				return g
			}
		}
		g.Status = "no_point"
		return g
	}
	g.Status = "not_found"
	return g
}

// placeFor finds the place name (with a point) that the text after the divisions names
// (a compound, POI or other 地名): the longest end of the normalized input that is a
// place's name or alias and holds all that text, within the county of the parsed division
// when there is one (the whole input may name a place anywhere). It returns the place (the first by id among equals) and how many
// places had that name.
func placeFor(sx *search.Index, p *Parsed) (*snapshot.Place, int) {
	tail := max(len([]rune(p.POI)), len([]rune(p.Unparsed)))
	if p.Road != nil && p.Road.ID == 0 {
		tail = max(tail, len([]rune(p.Road.Text+p.POI)))
	}
	if tail == 0 {
		return nil, 0
	}
	d := sx.Data()
	prefix := ""
	if p.unit >= 0 {
		u := &d.Units[p.unit]
		prefix = gazetteer.ShortCode(u.Code, min(gazetteer.Level(u.Level), gazetteer.County))
	}
	rs := []rune(p.Normalized)
	for start := 0; start <= len(rs)-max(tail, 2); start++ {
		var best *snapshot.Place
		n := 0
		for _, e := range sx.Lookup(string(rs[start:])) {
			i := sx.EntryPlace(e)
			if i < 0 {
				continue
			}
			pl := &d.Places[i]
			// The whole input naming a place needs no division around it (滨江公园 is
			// not in 滨江区).
			if !pl.HasPoint || (start > 0 && !strings.HasPrefix(pl.AdminCode, prefix)) {
				continue
			}
			n++
			if best == nil || pl.ID < best.ID {
				best = pl
			}
		}
		if best != nil {
			return best, n
		}
	}
	return nil, 0
}
