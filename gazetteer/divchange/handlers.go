package divchange

import (
	"fmt"
	"net/http"
	"strconv"

	"fangyuan/internal/api"
	"fangyuan/internal/auth"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Routes are the change-report endpoints: reads, and the decision on a pending record.
func (s *Store) Routes() []api.Route {
	format := api.Param{Name: "format", In: "query", Type: "string", Enum: []string{"json", "csv", "xlsx"}, Description: "default json"}
	return []api.Route{
		{Method: http.MethodGet, Path: "/api/divisions/changes", Tag: "divisions",
			Summary:     "Yearly division-code updates (区划代码年度更新): the change reports kept by `fangyuan import divisions`",
			Description: "Every applied update with its rows: new, retired, renamed, reparented, recoded, merged and split units and the old → new mapping. CSV and XLSX list the rows of all the reports (XLSX adds the pending records).",
			Params:      []api.Param{{Name: "since", In: "query", Type: "string", Description: "date YYYY-MM-DD: reports of tables valid from that day or later", Example: "2024-06-30"}, format},
			Produces:    []string{"application/json", "text/csv", xlsxType}, Handler: s.handleList},
		{Method: http.MethodGet, Path: "/api/divisions/changes/{id}/pending", Tag: "divisions",
			Summary:  "The records of an update that did not follow their unit (split, ambiguous merge, retired without successor, or a collision) and wait for a person",
			Params:   []api.Param{{Name: "id", In: "path", Type: "integer", Example: "1"}, format},
			Produces: []string{"application/json", "text/csv", xlsxType}, Handler: s.handlePending},
		{Method: http.MethodPost, Path: "/api/divisions/changes/{id}/pending/resolve", Tag: "divisions",
			Role:    string(auth.Planner) + "|" + string(auth.NamesEditor) + "|" + string(auth.BoundaryEditor),
			Summary: "Decide a pending record (处理待定记录): assign it the code it belongs to now, or keep it as it is",
			Description: "The record's code changes only if it still carries the code the update left it on (409 otherwise, also when someone decided it first); the code must be a current division (400). " +
				"Facilities are decided by planners, roads, house numbers and place names by names editors, boundary lines and inspection rounds by boundary editors (403 otherwise). " +
				"A line's `sides` take `LEFT|RIGHT`. Audited; the answer says how many records of the report still wait.",
			Params:  []api.Param{{Name: "id", In: "path", Type: "integer", Example: "1"}},
			Body:    `{"entity": "place_name", "id": 12, "field": "admin_code", "action": "assign", "code": "330102001"}`,
			Handler: s.handleResolve},
	}
}

func queryFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return "json", nil
	case "csv", "xlsx":
		return f, nil
	default:
		return "", api.BadRequest("format", "must be json, csv or xlsx, not %q", f)
	}
}

func (s *Store) handleList(w http.ResponseWriter, r *http.Request) error {
	since, err := api.QueryDate(r, "since")
	if err != nil {
		return err
	}
	f, err := queryFormat(r)
	if err != nil {
		return err
	}
	reports, err := s.Reports(r.Context(), since)
	if err != nil {
		return err
	}
	if reports == nil {
		reports = []*Report{}
	}
	switch f {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="division-changes.csv"`)
		return WriteCSV(w, reports)
	case "xlsx":
		for i, rep := range reports {
			full, err := s.Report(r.Context(), rep.ID)
			if err != nil {
				return err
			}
			reports[i] = full
		}
		w.Header().Set("Content-Type", xlsxType)
		w.Header().Set("Content-Disposition", `attachment; filename="division-changes.xlsx"`)
		return WriteXLSX(w, reports)
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"reports": reports})
}

func (s *Store) handlePending(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return api.BadRequest("id", "want a report id (a positive integer), not %q", api.PathParam(r, "id"))
	}
	f, err := queryFormat(r)
	if err != nil {
		return err
	}
	rep, err := s.Report(r.Context(), id)
	if err != nil {
		return api.NotFoundIf(err, "no division change report %d", id)
	}
	switch f {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="division-changes-%d-pending.csv"`, id))
		return WritePendingCSV(w, rep)
	case "xlsx":
		rep.Changes = []Change{} // the pending sheet only
		w.Header().Set("Content-Type", xlsxType)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="division-changes-%d-pending.xlsx"`, id))
		return WriteXLSX(w, []*Report{rep})
	}
	return api.WriteJSON(w, http.StatusOK, map[string]any{"report_id": rep.ID, "valid_from": rep.ValidFrom, "pending": rep.Pending})
}
