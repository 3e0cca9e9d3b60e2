package popgrid

import (
	"net/http"
	"strconv"

	"fangyuan/internal/api"
)

// Routes are the population grid endpoints.
func (s *Store) Routes() []api.Route {
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/population-grids", Tag: "population", Summary: "Stored population grids (人口栅格) with their layers and totals",
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				grids, err := s.List(r.Context())
				if err != nil {
					return err
				}
				if grids == nil {
					grids = []Meta{}
				}
				return api.WriteJSON(w, http.StatusOK, map[string]any{"grids": grids})
			}},
		{Method: http.MethodGet, Path: "/api/population-grids/{id}", Tag: "population", Summary: "One population grid's description",
			Params: []api.Param{{Name: "id", In: "path", Type: "integer"}},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
				if err != nil || id <= 0 {
					return api.BadRequest("id", "must be a positive integer")
				}
				m, err := s.Get(r.Context(), id)
				if err != nil {
					return api.NotFoundIf(err, "no population grid %d", id)
				}
				return api.WriteJSON(w, http.StatusOK, m)
			}},
	}
}
