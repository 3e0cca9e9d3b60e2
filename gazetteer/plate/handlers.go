package plate

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"fangyuan/coverage/facility"
	"fangyuan/internal/api"
	"fangyuan/internal/auth"
	"fangyuan/internal/limits"
)

// Routes are the plate endpoints and the public page /p/{id}.
func (s *Store) Routes() []api.Route {
	id := api.Param{Name: "id", In: "path", Type: "string", Description: "plate id (11 characters, the last a check character)", Example: "0123456789X"}
	road := api.Param{Name: "id", In: "path", Type: "integer", Description: "road id"}
	return []api.Route{
		{Method: http.MethodPost, Path: "/api/plates", Tag: "plates", Role: string(auth.NamesEditor), Summary: "Issue (order) a digital plate (数字门牌) for an active house number",
			Body: `{"house_number_id": 42, "date": "2026-12-01"}`, Handler: s.issueHandler},
		{Method: http.MethodGet, Path: "/api/plates/{id}", Tag: "plates", Summary: "A plate with its standard address, division chain and status history",
			Params: []api.Param{id}, Handler: s.getHandler},
		{Method: http.MethodPost, Path: "/api/plates/{id}/status", Tag: "plates", Role: string(auth.NamesEditor),
			Summary:     "Change a plate's status: ordered → installed → damaged → (installed again or) removed",
			Description: "A version that is not the current one, or a change the current status does not allow, answers 409.",
			Params:      []api.Param{id}, Body: `{"version": 1, "status": "installed", "date": "2026-12-01"}`, Handler: s.statusHandler},
		{Method: http.MethodGet, Path: "/api/plates/{id}/qr.png", Tag: "plates", Summary: "QR code (PNG) of the plate's public page <public-url>/p/<id>",
			Params: []api.Param{id, {Name: "scale", In: "query", Type: "integer", Description: "pixels per module, 1–40, default 8"}}, Produces: []string{"image/png"}, Handler: s.qrPNG},
		{Method: http.MethodGet, Path: "/api/plates/{id}/qr.svg", Tag: "plates", Summary: "QR code (SVG) of the plate's public page",
			Params: []api.Param{id}, Produces: []string{"image/svg+xml"}, Handler: s.qrSVG},
		{Method: http.MethodGet, Path: "/api/roads/{id}/plates", Tag: "plates", Summary: "A road's plates that are not removed, with their status and address",
			Params: []api.Param{road}, Handler: s.roadPlatesHandler},
		{Method: http.MethodGet, Path: "/api/roads/{id}/plates.pdf", Tag: "plates", Summary: "Print sheet of a road's plates (GB 17733 layout, Chinese font embedded)",
			Params: []api.Param{road}, Produces: []string{"application/pdf"}, Handler: s.sheetHandler("pdf")},
		{Method: http.MethodGet, Path: "/api/roads/{id}/plates.svg", Tag: "plates", Summary: "Print sheet of a road's plates as SVG",
			Params: []api.Param{road}, Produces: []string{"image/svg+xml"}, Handler: s.sheetHandler("svg")},
		{Method: http.MethodGet, Path: "/p/{id}", Tag: "plates", Public: true, Summary: "The public page a plate's QR code opens (HTML, mobile-first, no personal data)",
			Params: []api.Param{id}, Produces: []string{"text/html"}, Handler: s.page},
	}
}

// pathPlateID parses the id in the path: 400 when malformed or mistyped.
func pathPlateID(r *http.Request) (string, error) {
	id, err := ParseID(api.PathParam(r, "id"))
	if err != nil {
		return "", api.BadRequest("id", "%v", err)
	}
	return id, nil
}

// parseDate reads a YYYY-MM-DD date; empty is today (UTC). Future dates are refused.
func parseDate(field, s string) (time.Time, error) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	if s == "" {
		return today, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return d, api.BadRequest(field, "must be a date YYYY-MM-DD, not %q", s)
	}
	if d.After(today.Add(24 * time.Hour)) {
		return d, api.BadRequest(field, "%s is in the future", s)
	}
	if d.Year() < 1900 {
		return d, api.BadRequest(field, "%s is before 1900", s)
	}
	return d, nil
}

// storeError maps the store's errors to answers.
func storeError(err error, id string) error {
	switch {
	case errors.Is(err, ErrVersionConflict), errors.Is(err, ErrTransition), errors.Is(err, ErrHasPlate), errors.Is(err, ErrNotActive):
		return api.Conflict("%v", err)
	case errors.Is(err, ErrNoHouseNumber):
		return api.BadRequest("house_number_id", "%v", err)
	case errors.Is(err, ErrDate):
		return api.BadRequest("date", "%v", err)
	case errors.Is(err, pgx.ErrNoRows):
		return api.NotFound("no plate %s", id)
	}
	return err
}

func (s *Store) issueHandler(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		HouseNumberID int64  `json:"house_number_id"`
		Date          string `json:"date"`
	}
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.HouseNumberID <= 0 {
		return api.BadRequest("house_number_id", "required: the id of an active house number")
	}
	on, err := parseDate("date", b.Date)
	if err != nil {
		return err
	}
	p, err := s.Issue(r.Context(), b.HouseNumberID, on)
	if err != nil {
		return storeError(err, "")
	}
	w.Header().Set("Location", "/api/plates/"+p.ID)
	return api.WriteJSON(w, http.StatusCreated, p)
}

func (s *Store) getHandler(w http.ResponseWriter, r *http.Request) error {
	id, err := pathPlateID(r)
	if err != nil {
		return err
	}
	p, err := s.Get(r.Context(), id)
	if err != nil {
		return storeError(err, id)
	}
	return api.WriteJSON(w, http.StatusOK, p)
}

func (s *Store) statusHandler(w http.ResponseWriter, r *http.Request) error {
	id, err := pathPlateID(r)
	if err != nil {
		return err
	}
	var b struct {
		Version int    `json:"version"`
		Status  string `json:"status"`
		Date    string `json:"date"`
	}
	if err := api.DecodeJSON(r, &b); err != nil {
		return err
	}
	if b.Version <= 0 {
		return api.BadRequest("version", "required: the version you read (optimistic locking)")
	}
	if err := api.CheckInt("version", int64(b.Version), 1, limits.MaxInt32); err != nil {
		return err
	}
	if !slices.Contains(Statuses, b.Status) {
		return api.BadRequest("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	on, err := parseDate("date", b.Date)
	if err != nil {
		return err
	}
	p, err := s.SetStatus(r.Context(), id, b.Version, b.Status, on)
	if err != nil {
		return storeError(err, id)
	}
	return api.WriteJSON(w, http.StatusOK, p)
}

// qr encodes the URL of an existing plate.
func (s *Store) qr(r *http.Request) (QR, error) {
	id, err := pathPlateID(r)
	if err != nil {
		return QR{}, err
	}
	if _, err := s.Get(r.Context(), id); err != nil {
		return QR{}, storeError(err, id)
	}
	return EncodeQR(s.URL(id))
}

func (s *Store) qrPNG(w http.ResponseWriter, r *http.Request) error {
	scale, err := api.QueryInt(r, "scale", 8, 1, 40)
	if err != nil {
		return err
	}
	q, err := s.qr(r)
	if err != nil {
		return err
	}
	b, err := q.PNG(scale)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	_, err = w.Write(b)
	return err
}

func (s *Store) qrSVG(w http.ResponseWriter, r *http.Request) error {
	q, err := s.qr(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_, err = w.Write(q.SVG(8 * (q.Size() + 2*Quiet)))
	return err
}

func (s *Store) sheetHandler(format string) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		road, err := strconv.ParseInt(api.PathParam(r, "id"), 10, 64)
		if err != nil || road <= 0 {
			return api.BadRequest("id", "must be a positive integer")
		}
		name, plates, err := s.RoadPlates(r.Context(), road)
		if err != nil {
			return api.NotFoundIf(err, "no road %d", road)
		}
		if len(plates) == 0 {
			return api.NotFound("road %d (%s) has no plates that are not removed: issue them first (POST /api/plates or fangyuan plates issue --road %d)", road, name, road)
		}
		var b bytes.Buffer
		if format == "pdf" {
			if err := s.SheetPDF(&b, name, plates); err != nil {
				if errors.Is(err, ErrNoFont) {
					return &api.Error{Status: http.StatusServiceUnavailable, Code: "no_font", Message: err.Error()}
				}
				return err
			}
			w.Header().Set("Content-Type", "application/pdf")
		} else {
			if err := s.SheetSVG(&b, name, plates); err != nil {
				return err
			}
			w.Header().Set("Content-Type", "image/svg+xml")
		}
		w.Header().Set("Content-Disposition", `inline; filename="plates-road-`+strconv.FormatInt(road, 10)+`.`+format+`"`)
		_, err = w.Write(b.Bytes())
		return err
	}
}

// page is the public page of a plate; unknown and mistyped ids get an HTML 404 / 400.
func (s *Store) page(w http.ResponseWriter, r *http.Request) error {
	raw := api.PathParam(r, "id")
	id, err := ParseID(raw)
	if err != nil {
		d := pageData{Title: "门牌编号有误", Message: "编号 " + raw + " 不是有效的门牌编号：请核对门牌上的编号（11 位，最后一位是校验码）。",
			MessageEn: "Not a valid plate id: " + err.Error() + "."}
		if errors.Is(err, ErrIDCheck) {
			d.Message = "编号 " + raw + " 的校验码不符，可能输入有误：请核对门牌上的编号。"
		}
		return writePage(w, http.StatusBadRequest, d)
	}
	p, err := s.Get(r.Context(), id)
	if errors.Is(err, pgx.ErrNoRows) {
		return writePage(w, http.StatusNotFound, pageData{Title: "未找到该门牌", Message: "没有编号为 " + id + " 的数字门牌。",
			MessageEn: "No digital plate " + id + " is recorded."})
	}
	if err != nil {
		return err
	}
	facs, err := s.Nearest(r.Context(), p.Address.Lon, p.Address.Lat)
	if err != nil {
		return err
	}
	for i := range facs {
		if k, err := facility.KindByID(s.Standards, facs[i].Kind); err == nil {
			facs[i].KindName = k.Name
		} else {
			facs[i].KindName = facs[i].Kind
		}
	}
	return writePage(w, http.StatusOK, pageData{Plate: &p, AddressPinyin: addressPinyin(p.Address), Facilities: facs})
}
