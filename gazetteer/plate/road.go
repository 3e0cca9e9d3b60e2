package plate

import (
	"net/http"
	"strconv"

	"fangyuan/internal/api"
)

// roadPlatesHandler lists a road's plates that are not removed (JSON), so a page can show
// each house number's plate status beside it.
func (s *Store) roadPlatesHandler(w http.ResponseWriter, r *http.Request) error {
	road, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || road <= 0 {
		return api.BadRequest("id", "must be a positive integer")
	}
	name, plates, err := s.RoadPlates(r.Context(), road)
	if err != nil {
		return api.NotFoundIf(err, "no road %d", road)
	}
	if plates == nil {
		plates = []Plate{}
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"road_id": road, "road": name, "plates": plates})
}
