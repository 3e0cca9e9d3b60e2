package plan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"fangyuan/coverage"
	"fangyuan/coverage/network"
	"fangyuan/coverage/popgrid"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/limits"
)

// Service answers POST /api/plans on the data in PostGIS: the newest (or a
// given) population grid, the townships (and villages) of one county as of a
// date, and the stored facilities of the kind. Plans run one at a time.
type Service struct {
	pool      *pgxpool.Pool
	grids     *popgrid.Store
	standards *coverage.Standards
	slot      chan struct{}
}

// NewService returns the plan service (standards nil: the built-in ones).
func NewService(pool *pgxpool.Pool, standards *coverage.Standards) *Service {
	if standards == nil {
		standards = coverage.DefaultStandards()
	}
	return &Service{pool: pool, grids: popgrid.NewStore(pool), standards: standards, slot: make(chan struct{}, 1)}
}

// Routes are the plan endpoints.
func (s *Service) Routes() []api.Route {
	return []api.Route{
		{Method: http.MethodPost, Path: "/api/plans", Tag: "coverage", Role: string(auth.Planner),
			Summary: "Suggest sites for new facilities of a kind in a county (选址建议): maximal covering, fewest sites to meet the target, or the best site per township failing its presence rule",
			Description: "kind, mode and county are required; k is the number of sites (max_cover) or a cap (fewest, per_township; 0: none). " +
				"candidates: cells (populated cells, default) or villages (village centres). radius_m, layer, grid_id and as_of default to the kind's standard, the newest grid and today. " +
				"reach: straight (default: a cell counts as covered when its centre is within the radius, geodesic, of an operating facility or a suggested site) " +
				"or travel (when it is reached within the kind's travel minutes over the stored road network, walking to and from the nearest road; 409 when no network is stored).",
			Body:    `{"kind": "eldercare_center", "k": 10, "mode": "max_cover", "county": "339901"}`,
			Handler: s.handleSuggest},
	}
}

// Request is the body of POST /api/plans.
type Request struct {
	Kind          string  `json:"kind"`
	K             int     `json:"k"`
	Mode          string  `json:"mode"`
	County        string  `json:"county"`
	Candidates    string  `json:"candidates"`
	MaxCandidates int     `json:"max_candidates"`
	RadiusM       float64 `json:"radius_m"`
	Layer         string  `json:"layer"`
	GridID        int64   `json:"grid_id"`
	AsOf          string  `json:"as_of"`
	// Reach is straight (the radius, default) or travel (the kind's travel minutes over the
	// stored road network).
	Reach string `json:"reach"`
}

// Answer is the answer of POST /api/plans: the plan and where its inputs came from.
type Answer struct {
	County     string  `json:"county"`
	CountyName string  `json:"county_name"`
	GridID     int64   `json:"grid_id"`
	AsOf       string  `json:"as_of"`
	Facilities int     `json:"facilities"`
	Result     *Result `json:"result"`
}

var countyCode = regexp.MustCompile(`^[0-9]{6}([0-9]{6})?$`)

func (s *Service) handleSuggest(w http.ResponseWriter, r *http.Request) error {
	var req Request
	if err := api.DecodeJSON(r, &req); err != nil {
		return err
	}
	for _, f := range [][2]string{{"kind", req.Kind}, {"mode", req.Mode}, {"county", req.County}, {"candidates", req.Candidates}, {"layer", req.Layer}, {"as_of", req.AsOf}, {"reach", req.Reach}} {
		if err := api.CheckText(f[0], f[1], limits.Name); err != nil {
			return err
		}
	}
	ans, err := s.Suggest(r.Context(), req)
	if err != nil {
		return err
	}
	return api.WriteJSON(w, http.StatusOK, ans)
}

// Suggest loads a county's inputs from PostGIS and answers req; bad
// parameters are *api.Error 400s naming the field.
func (s *Service) Suggest(ctx context.Context, req Request) (*Answer, error) {
	if req.Kind == "" {
		return nil, api.BadRequest("kind", "required (GET /api/coverage/standards lists the kinds)")
	}
	std, err := s.standards.Kind(req.Kind)
	if err != nil {
		return nil, api.BadRequest("kind", "%v", err)
	}
	mode := Mode(req.Mode)
	if !slices.Contains([]Mode{ModeMaxCover, ModeFewest, ModePerTownship}, mode) {
		return nil, api.BadRequest("mode", "%q must be max_cover, fewest or per_township", req.Mode)
	}
	if mode == ModeMaxCover && (req.K < 1 || req.K > MaxK) {
		return nil, api.BadRequest("k", "%d must be in [1, %d] for max_cover", req.K, MaxK)
	}
	if req.K < 0 || req.K > MaxK {
		return nil, api.BadRequest("k", "%d must be in [0, %d]", req.K, MaxK)
	}
	if !countyCode.MatchString(req.County) {
		return nil, api.BadRequest("county", "%q must be a county's division code (6 or 12 digits, e.g. 339901)", req.County)
	}
	county := req.County[:6]
	switch req.Candidates {
	case "", FromCells, FromVillages:
	default:
		return nil, api.BadRequest("candidates", "%q must be cells or villages", req.Candidates)
	}
	if req.MaxCandidates < 0 || req.MaxCandidates > 1_000_000 {
		return nil, api.BadRequest("max_candidates", "%d must be in [0, 1000000]", req.MaxCandidates)
	}
	if req.RadiusM != 0 {
		if !(req.RadiusM > 0 && req.RadiusM <= coverage.MaxRadius) {
			return nil, api.BadRequest("radius_m", "%v must be in (0, %d] metres", req.RadiusM, coverage.MaxRadius)
		}
		std.RadiusM = req.RadiusM
	}
	var tp coverage.TravelProfile
	switch req.Reach {
	case "", "straight":
	case "travel":
		if std.Travel == nil {
			return nil, api.BadRequest("reach", "kind %s has no travel time in the standards: use reach straight", std.ID)
		}
		if tp, err = s.standards.Profile(std.Travel.Mode); err != nil {
			return nil, api.BadRequest("reach", "kind %s: %v", std.ID, err)
		}
	default:
		return nil, api.BadRequest("reach", "%q must be straight or travel", req.Reach)
	}
	asOf := time.Now().UTC().Truncate(24 * time.Hour)
	if req.AsOf != "" {
		if asOf, err = time.Parse(time.DateOnly, req.AsOf); err != nil {
			return nil, api.BadRequest("as_of", "must be a date YYYY-MM-DD, not %q", req.AsOf)
		}
	}
	select {
	case s.slot <- struct{}{}:
		defer func() { <-s.slot }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ans := &Answer{County: county, GridID: req.GridID, AsOf: asOf.Format(time.DateOnly)}
	if ans.GridID == 0 {
		if err := s.pool.QueryRow(ctx, sqlLatestGrid).Scan(&ans.GridID); errors.Is(err, pgx.ErrNoRows) {
			return nil, api.BadRequest("grid_id", "no population grid stored yet (fangyuan import population ...)")
		} else if err != nil {
			return nil, err
		}
	}
	grid, _, err := s.grids.Load(ctx, ans.GridID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, api.BadRequest("grid_id", "no population grid %d", ans.GridID)
	} else if err != nil {
		return nil, err
	}
	layer := req.Layer
	if layer == "" {
		layer = std.Layer
	}
	if _, ok := grid.Band(layer); !ok {
		return nil, api.BadRequest("layer", "grid %d has no layer %q", ans.GridID, layer)
	}
	if err := s.pool.QueryRow(ctx, sqlCountyName, county, asOf).Scan(&ans.CountyName); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	townships, err := s.units(ctx, 4, county, asOf)
	if err != nil {
		return nil, err
	}
	if len(townships) == 0 {
		return nil, api.BadRequest("county", "no township boundaries of county %s valid on %s", county, ans.AsOf)
	}
	var villages []coverage.Unit
	if req.Candidates == FromVillages {
		if villages, err = s.units(ctx, 5, county, asOf); err != nil {
			return nil, err
		}
		if len(villages) == 0 {
			return nil, api.BadRequest("candidates", "county %s has no village boundaries valid on %s", county, ans.AsOf)
		}
	}
	b := townships[0].Geometry.Bound()
	for _, u := range townships[1:] {
		b = b.Union(u.Geometry.Bound())
	}
	reach := std.RadiusM
	var travel *network.Travel
	if req.Reach == "travel" {
		// The roads and facilities a trip of the kind's minutes can use: those within its
		// distance of the county (twice: a road may leave the county and come back).
		reach = network.TravelDistance(tp, std.Travel.Minutes)
		nb := grow(b, 2*reach)
		nw, err := network.Load(ctx, s.pool, &nb)
		if errors.Is(err, network.ErrNoNetwork) {
			return nil, api.Conflict("reach travel: %v", err)
		} else if err != nil {
			return nil, err
		}
		tr, err := network.ForKind(nw, s.standards, std)
		if err != nil {
			return nil, api.Conflict("reach travel: %v", err)
		}
		travel = &tr
	}
	facs, err := s.facilities(ctx, std.ID, grow(b, reach))
	if err != nil {
		return nil, err
	}
	ans.Facilities = len(facs)
	in := Input{Standard: std, Layer: layer, Grid: grid, Townships: townships, Villages: villages, Facilities: facs,
		Mode: mode, K: req.K, Candidates: req.Candidates, MaxCandidates: req.MaxCandidates, Travel: travel}
	res, err := Suggest(ctx, in)
	switch {
	case errors.Is(err, ErrBadInput):
		return nil, api.BadRequest("body", "%v", err)
	case errors.Is(err, coverage.ErrNoOverlap):
		return nil, api.BadRequest("grid_id", "%v", err)
	case err != nil:
		return nil, err
	}
	ans.Result = res
	return ans, nil
}

// grow returns b grown by metres on every side.
func grow(b orb.Bound, metres float64) orb.Bound {
	lat := math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
	dlat := metres / 110_574 * 1.01
	dlon := metres / (111_320 * math.Max(math.Cos(math.Min(lat+dlat, 89.9)*math.Pi/180), 1e-3)) * 1.01
	return orb.Bound{Min: orb.Point{b.Min[0] - dlon, b.Min[1] - dlat}, Max: orb.Point{b.Max[0] + dlon, b.Max[1] + dlat}}
}

func (s *Service) units(ctx context.Context, level int, county string, asOf time.Time) ([]coverage.Unit, error) {
	rows, err := s.pool.Query(ctx, sqlCountyUnits, level, county, asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []coverage.Unit
	for rows.Next() {
		var u coverage.Unit
		var raw []byte
		if err := rows.Scan(&u.Code, &u.Name, &raw); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(raw)
		if err != nil {
			return nil, fmt.Errorf("boundary of %s: %w", u.Code, err)
		}
		switch g := g.(type) {
		case orb.MultiPolygon:
			u.Geometry = g
		case orb.Polygon:
			u.Geometry = orb.MultiPolygon{g}
		default:
			return nil, fmt.Errorf("boundary of %s is a %s", u.Code, g.GeoJSONType())
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *Service) facilities(ctx context.Context, kind string, b orb.Bound) ([]coverage.Facility, error) {
	rows, err := s.pool.Query(ctx, sqlFacilities, kind, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []coverage.Facility
	for rows.Next() {
		var f coverage.Facility
		var id int64
		if err := rows.Scan(&id, &f.ID, &f.Name, &f.Location[0], &f.Location[1], &f.Status, &f.Beds, &f.NursingBeds, &f.DementiaBeds); err != nil {
			return nil, err
		}
		f.Source = fmt.Sprintf("facility %d", id)
		out = append(out, f)
	}
	return out, rows.Err()
}
