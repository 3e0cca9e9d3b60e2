package runs

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"fangyuan/coverage/network"
	"fangyuan/internal/api"
)

// MaxIsochroneMinutes bounds the minutes of an isochrone request.
const MaxIsochroneMinutes = 240

// IsochroneMethod says how the isochrone polygon is made (in every answer).
const IsochroneMethod = "one search from the facility over the stored road network with its kind's travel profile " +
	"(the facility walks straight to its nearest road); the reached parts of the roads are sampled and each sample " +
	"is buffered (geography, PostGIS ST_Buffer) by the walk its remaining time allows at the profile's walking speed, " +
	"at most max_access_m; the polygon is the union of the buffers (ferries are crossed, never left mid-way)"

func (s *Service) handleIsochrone(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return api.BadRequest("id", "must be a positive integer")
	}
	var (
		kind, name, status string
		pt                 orb.Point
	)
	if err := s.pool.QueryRow(r.Context(), sqlIsochroneFacility, id).Scan(&kind, &name, &status, &pt[0], &pt[1]); errors.Is(err, pgx.ErrNoRows) {
		return api.NotFound("no facility %d", id)
	} else if err != nil {
		return err
	}
	std, err := s.standards.Kind(kind)
	if err != nil {
		return api.Conflict("facility %d: %v", id, err)
	}
	if std.Travel == nil {
		return api.Conflict("kind %s has no travel time in the standards (\"travel\": {\"mode\": \"walk\", \"minutes\": 15})", kind)
	}
	minutes := std.Travel.Minutes
	if q := r.URL.Query().Get("minutes"); q != "" {
		v, err := strconv.ParseFloat(q, 64)
		if err != nil || math.IsNaN(v) || !(v > 0 && v <= MaxIsochroneMinutes) {
			return api.BadRequest("minutes", "must be a number of minutes in (0, %d], not %q", MaxIsochroneMinutes, q)
		}
		minutes = v
	}
	tp, err := s.standards.Profile(std.Travel.Mode)
	if err != nil {
		return api.Conflict("kind %s: %v", kind, err)
	}
	dist := network.TravelDistance(tp, minutes)
	dlat := dist / 110_574
	dlon := dist / (111_320 * math.Max(math.Cos(pt[1]*math.Pi/180), 0.01))
	b := orb.Bound{Min: orb.Point{pt[0] - dlon, pt[1] - dlat}, Max: orb.Point{pt[0] + dlon, pt[1] + dlat}}
	nw, err := network.Load(r.Context(), s.pool, &b)
	if errors.Is(err, network.ErrNoNetwork) {
		return api.Conflict("no road network near facility %d: %v", id, err)
	} else if err != nil {
		return err
	}
	tr, err := network.ForKind(nw, s.standards, std)
	if err != nil {
		return api.Conflict("facility %d: %v", id, err)
	}
	iso, err := tr.Graph.Isochrone(pt, minutes)
	if err != nil {
		return api.BadRequest("minutes", "%v", err)
	}
	if iso.Snap.Edge < 0 {
		return api.Conflict("facility %d is more than %g m from any road of the %s profile: it reaches nothing", id, tp.MaxAccessM, std.Travel.Mode)
	}
	xs, ys, rs := make([]float64, len(iso.Discs)), make([]float64, len(iso.Discs)), make([]float64, len(iso.Discs))
	for i, d := range iso.Discs {
		xs[i], ys[i], rs[i] = d.P[0], d.P[1], d.R
	}
	var geom json.RawMessage
	if err := s.pool.QueryRow(r.Context(), sqlIsochroneUnion, xs, ys, rs).Scan(&geom); err != nil {
		return err
	}
	return api.WriteGeoJSON(w, http.StatusOK, map[string]any{
		"type": "Feature", "geometry": geom,
		"properties": map[string]any{
			"facility": id, "name": name, "kind": kind, "status": status, "minutes": minutes, "mode": std.Travel.Mode,
			"walk_kmh": tp.WalkKmh, "max_access_m": tp.MaxAccessM, "access_walk_m": iso.Snap.Walk,
			"nodes_reached": iso.NodesReached, "samples": len(iso.Discs), "sample_step_m": iso.Step,
			"method": IsochroneMethod,
		},
	})
}
