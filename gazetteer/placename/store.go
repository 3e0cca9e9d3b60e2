// Package placename keeps the standard place names (地名) of the place-name office: their
// official pinyin, GB/T 18521 category, division, geometry, origin (来历), meaning (含义),
// history (沿革), heritage listing (地名文化遗产), status and the naming, renaming and
// retiring acts with approval number and date, every former name kept. It owns the types,
// the SQL, the HTTP handlers and the name check (重名、同音、近似、禁用字词).
package placename

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"fangyuan/internal/auth"
	"fangyuan/internal/db"
)

// PlaceName is one place name as stored.
type PlaceName struct {
	ID            int64           `json:"id"`
	Name          string          `json:"name"`             // 标准名称
	Pinyin        string          `json:"pinyin"`           // 罗马字母拼写 (official); "" when not set
	PinyinDraft   string          `json:"pinyin_draft"`     // generated, toneless syllables
	Category      string          `json:"category"`         // GB/T 18521 类别代码
	CategoryName  string          `json:"category_name"`    //
	AdminCode     string          `json:"admin_code"`       // 12 digits
	Aliases       []string        `json:"aliases"`          //
	Origin        string          `json:"origin"`           // 地名来历
	Meaning       string          `json:"meaning"`          // 地名含义
	History       string          `json:"history"`          // 历史沿革
	Heritage      bool            `json:"heritage"`         // on a 地名文化遗产 list
	HeritageLevel string          `json:"heritage_level"`   // national|provincial|municipal|county
	HeritageList  string          `json:"heritage_list"`    // 千年古镇, 千年古村落 ...
	Status        string          `json:"status"`           // standard|draft|retired
	ApprovalNo    string          `json:"approval_no"`      // the naming or last renaming act
	ApprovedOn    string          `json:"approved_on"`      // YYYY-MM-DD or ""
	RetiredOn     string          `json:"retired_on"`       // YYYY-MM-DD or ""
	Geometry      json.RawMessage `json:"geometry"`         // GeoJSON, null when none
	Point         *[2]float64     `json:"point"`            // a point on the geometry (ST_PointOnSurface)
	Source        string          `json:"source"`           //
	Version       int             `json:"version"`          //
	UpdatedAt     time.Time       `json:"updated_at"`       //
	Acts          []Act           `json:"acts,omitempty"`   // naming, renaming and retiring acts, oldest first
	Former        []FormerName    `json:"former,omitempty"` // former names, oldest first
}

// Act is a naming (命名), renaming (更名) or retiring (销名) act.
type Act struct {
	ID           int64     `json:"id"`
	Act          string    `json:"act"` // name | rename | retire
	NameBefore   string    `json:"name_before,omitempty"`
	PinyinBefore string    `json:"pinyin_before,omitempty"`
	NameAfter    string    `json:"name_after,omitempty"`
	PinyinAfter  string    `json:"pinyin_after,omitempty"`
	ApprovalNo   string    `json:"approval_no"`
	ApprovedOn   string    `json:"approved_on"`
	Actor        string    `json:"actor"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// FormerName is a name the place had until a rename.
type FormerName struct {
	Name       string `json:"name"`
	Pinyin     string `json:"pinyin,omitempty"`
	Until      string `json:"until"`       // the renaming act's date
	ApprovalNo string `json:"approval_no"` // of the renaming act
}

// Input is a place name as the API or an importer hands it to the store. Text is
// validated (see Validate); AdminCode is 12 digits.
type Input struct {
	Line          int // source line, for messages
	Name          string
	Pinyin        string
	Category      string
	AdminCode     string
	Aliases       []string
	Origin        string
	Meaning       string
	History       string
	HeritageLevel string
	HeritageList  string
	Status        string // standard (default) | draft
	ApprovalNo    string
	ApprovedOn    string // YYYY-MM-DD or ""
	GeoJSON       []byte // geometry as GeoJSON, nil for none
	// Geometry is the geometry for Import, which uses it instead of GeoJSON when set
	// (importers hand it over without a GeoJSON round trip).
	Geometry orb.Geometry
}

// Store reads and writes place names.
type Store struct {
	pool  *pgxpool.Pool
	words []string // disallowed words of the name check
}

// NewStore returns a Store on pool with the built-in disallowed words (see Open).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, words: DefaultWords()} }

// Errors the handlers map to status codes.
var (
	ErrVersionConflict = errors.New("the place name was changed by someone else; reload it and try again")
	ErrRetired         = errors.New("the place name is retired")
)

func scan(row pgx.Row, extra ...any) (PlaceName, error) {
	var (
		p      PlaceName
		geom   *string
		px, py *float64
	)
	err := row.Scan(append([]any{&p.ID, &p.Name, &p.Pinyin, &p.PinyinDraft, &p.Category, &p.AdminCode, &p.Aliases,
		&p.Origin, &p.Meaning, &p.History, &p.HeritageLevel, &p.HeritageList, &p.Status, &p.ApprovalNo,
		&p.ApprovedOn, &p.RetiredOn, &geom, &px, &py, &p.Source, &p.Version, &p.UpdatedAt}, extra...)...)
	if err != nil {
		return p, err
	}
	p.CategoryName, _ = CategoryName(p.Category)
	p.Heritage = p.HeritageList != ""
	if geom != nil {
		p.Geometry = json.RawMessage(*geom)
	} else {
		p.Geometry = json.RawMessage("null")
	}
	if px != nil && py != nil {
		p.Point = &[2]float64{*px, *py}
	}
	if p.Aliases == nil {
		p.Aliases = []string{}
	}
	return p, nil
}

// Filter selects place names.
type Filter struct {
	AdminPrefix string // significant digits of a division code
	Category    string // a category code; its subclasses match too
	Text        string // in the name, the pinyin or an alias
	BBox        *[4]float64
	Status      string // "" or current: not retired; all; or one status
	Limit       int
	Offset      int
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// List returns the place names matching f and the total count.
func (s *Store) List(ctx context.Context, f Filter) ([]PlaceName, int, error) {
	bbox := []any{nil, nil, nil, nil}
	if f.BBox != nil {
		bbox = []any{f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3]}
	}
	if f.Status == "" {
		f.Status = "current"
	}
	args := append([]any{nilIfEmpty(f.AdminPrefix), nilIfEmpty(f.Category), nilIfEmpty(f.Text)}, bbox...)
	rows, err := s.pool.Query(ctx, sqlListPlaces, append(args, f.Status, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var (
		out   []PlaceName
		total int
	)
	for rows.Next() {
		p, err := scan(rows, &total)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// Get returns one place name with its acts and former names.
func (s *Store) Get(ctx context.Context, id int64) (PlaceName, error) {
	p, err := scan(s.pool.QueryRow(ctx, sqlGetPlace, id))
	if err != nil {
		return p, err
	}
	return p, s.withHistory(ctx, s.pool, &p)
}

func (s *Store) withHistory(ctx context.Context, q db.Querier, p *PlaceName) error {
	rows, err := q.Query(ctx, sqlHistory, p.ID)
	if err != nil {
		return err
	}
	acts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Act, error) {
		var a Act
		err := r.Scan(&a.ID, &a.Act, &a.NameBefore, &a.PinyinBefore, &a.NameAfter, &a.PinyinAfter, &a.ApprovalNo, &a.ApprovedOn, &a.Actor, &a.RecordedAt)
		return a, err
	})
	if err != nil {
		return err
	}
	p.Acts, p.Former = acts, []FormerName{}
	for _, a := range acts {
		if a.Act == "rename" {
			p.Former = append(p.Former, FormerName{Name: a.NameBefore, Pinyin: a.PinyinBefore, Until: a.ApprovedOn, ApprovalNo: a.ApprovalNo})
		}
	}
	if p.Acts == nil {
		p.Acts = []Act{}
	}
	return nil
}

func geoArg(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// DivisionExists reports whether code (12 digits) names a current division.
func (s *Store) DivisionExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, sqlDivisionExists, code).Scan(&ok)
	return ok, err
}

// AdminCodeAt returns the deepest division covering the geometry ("" when none does).
func (s *Store) AdminCodeAt(ctx context.Context, geojson []byte) (string, error) {
	var code *string
	if err := s.pool.QueryRow(ctx, sqlAdminCodeAt, string(geojson)).Scan(&code); err != nil || code == nil {
		return "", err
	}
	return *code, nil
}

func key(id int64) string { return strconv.FormatInt(id, 10) }

func actor(ctx context.Context) string {
	p, _ := auth.FromContext(ctx)
	return p.Name
}

// Create inserts a place name with its naming act, and audits it.
func (s *Store) Create(ctx context.Context, in Input) (PlaceName, error) {
	var out PlaceName
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		draft := Draft(in.Name)
		if err := tx.QueryRow(ctx, sqlInsertPlace, in.Name, in.Pinyin, draft, in.Category, in.AdminCode, aliases(in.Aliases),
			in.Origin, in.Meaning, in.History, in.HeritageList, in.HeritageLevel, in.Status, in.ApprovalNo,
			nilIfEmpty(in.ApprovedOn), geoArg(in.GeoJSON), "api").Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlInsertAct, id, "name", "", "", in.Name, in.Pinyin, in.ApprovalNo, nilIfEmpty(in.ApprovedOn), actor(ctx)); err != nil {
			return err
		}
		var err error
		if out, err = s.getTx(ctx, tx, id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "create", Entity: "place_name", Key: key(id), After: out})
	})
	return out, err
}

func (s *Store) getTx(ctx context.Context, tx pgx.Tx, id int64) (PlaceName, error) {
	p, err := scan(tx.QueryRow(ctx, sqlGetPlace, id))
	if err != nil {
		return p, err
	}
	return p, s.withHistory(ctx, tx, &p)
}

// lock reads place id for update and checks the version.
func lock(ctx context.Context, tx pgx.Tx, id int64, version int) (PlaceName, error) {
	before, err := scan(tx.QueryRow(ctx, sqlGetPlaceForUpdate, id))
	if err != nil {
		return before, err
	}
	if before.Version != version {
		return before, fmt.Errorf("%w (you have version %d, the current one is %d)", ErrVersionConflict, version, before.Version)
	}
	return before, nil
}

// Update replaces the editable fields of place id if version still matches. A change of
// name goes through Rename (it needs an approval act); Update refuses it.
func (s *Store) Update(ctx context.Context, id int64, version int, in Input) (PlaceName, error) {
	var out PlaceName
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := lock(ctx, tx, id, version)
		if err != nil {
			return err
		}
		if before.Status == "retired" {
			return fmt.Errorf("%w (on %s); it cannot be edited", ErrRetired, before.RetiredOn)
		}
		if in.Name != before.Name {
			return ErrNameChange
		}
		if _, err := tx.Exec(ctx, sqlUpdatePlace, id, in.Name, in.Pinyin, Draft(in.Name), in.Category, in.AdminCode, aliases(in.Aliases),
			in.Origin, in.Meaning, in.History, in.HeritageList, in.HeritageLevel, in.Status, in.ApprovalNo,
			nilIfEmpty(in.ApprovedOn), geoArg(in.GeoJSON), version); err != nil {
			return err
		}
		if out, err = s.getTx(ctx, tx, id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "update", Entity: "place_name", Key: key(id), Before: before, After: out})
	})
	return out, err
}

// ErrNameChange refuses a name change through Update.
var ErrNameChange = errors.New("the name changes only by a renaming act: POST /api/placenames/{id}/rename")

// RenameInput is a renaming act (更名).
type RenameInput struct {
	Version    int
	NewName    string
	NewPinyin  string
	ApprovalNo string
	ApprovedOn string // YYYY-MM-DD
}

// Rename gives place id a new name by an approved act; the old name and pinyin go to its
// history and stay searchable as a former name.
func (s *Store) Rename(ctx context.Context, id int64, in RenameInput) (PlaceName, error) {
	var out PlaceName
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := lock(ctx, tx, id, in.Version)
		if err != nil {
			return err
		}
		if before.Status == "retired" {
			return fmt.Errorf("%w (on %s); it cannot be renamed", ErrRetired, before.RetiredOn)
		}
		if in.NewName == before.Name && in.NewPinyin == before.Pinyin {
			return ErrSameName
		}
		if _, err := tx.Exec(ctx, sqlRenamePlace, id, in.NewName, in.NewPinyin, Draft(in.NewName), in.ApprovalNo, in.ApprovedOn, in.Version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlInsertAct, id, "rename", before.Name, before.Pinyin, in.NewName, in.NewPinyin, in.ApprovalNo, in.ApprovedOn, actor(ctx)); err != nil {
			return err
		}
		if out, err = s.getTx(ctx, tx, id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "rename", Entity: "place_name", Key: key(id), Before: before, After: out,
			Detail: map[string]string{"approval_no": in.ApprovalNo, "approved_on": in.ApprovedOn}})
	})
	return out, err
}

// ErrSameName refuses a rename to the current name.
var ErrSameName = errors.New("new_name and new_pinyin are the current ones: nothing to rename")

// Retire ends place id by an approved act (销名); the record stays, with status retired.
func (s *Store) Retire(ctx context.Context, id int64, version int, approvalNo, date string) (PlaceName, error) {
	var out PlaceName
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := lock(ctx, tx, id, version)
		if err != nil {
			return err
		}
		if before.Status == "retired" {
			return fmt.Errorf("%w already (on %s)", ErrRetired, before.RetiredOn)
		}
		if _, err := tx.Exec(ctx, sqlRetirePlace, id, date, version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlInsertAct, id, "retire", before.Name, before.Pinyin, "", "", approvalNo, date, actor(ctx)); err != nil {
			return err
		}
		if out, err = s.getTx(ctx, tx, id); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "retire", Entity: "place_name", Key: key(id), Before: before, After: out,
			Detail: map[string]string{"approval_no": approvalNo, "date": date}})
	})
	return out, err
}

func aliases(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

// ImportResult is what a place-name import did.
type ImportResult struct {
	db.Changes
	// Repaired lists the source lines whose invalid geometry was repaired (ST_MakeValid).
	Repaired []int `json:"repaired,omitempty"`
}

// CurrentCodes returns which of codes (12 digits) name a current division.
func CurrentCodes(ctx context.Context, q db.Querier, codes []string) (map[string]bool, error) {
	rows, err := q.Query(ctx, sqlCurrentCodes, codes)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(got))
	for _, c := range got {
		m[c] = true
	}
	return m, nil
}

// Import upserts place names in tx by (admin code, category, name) among the current
// ones, records a naming act for each new one and audits every update. Rows must be
// validated and unique by that key.
func (s *Store) Import(ctx context.Context, tx pgx.Tx, rows []Input, source string) (ImportResult, error) {
	var res ImportResult
	p, ok := auth.FromContext(ctx)
	if !ok {
		return res, auth.ErrNoPrincipal
	}
	if _, err := tx.Exec(ctx, sqlStagePlaces); err != nil {
		return res, err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_place"},
		[]string{"line", "name", "pinyin", "pinyin_draft", "category", "admin_code", "aliases", "origin", "meaning", "history",
			"heritage_level", "heritage_list", "approval_no", "approved_on", "wkb"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			var approved any
			if r.ApprovedOn != "" {
				d, err := time.Parse(time.DateOnly, r.ApprovedOn)
				if err != nil {
					return nil, fmt.Errorf("line %d: approved_on: %w", r.Line, err)
				}
				approved = d
			}
			var g []byte
			if r.Geometry != nil {
				var err error
				if g, err = wkb.Marshal(r.Geometry); err != nil {
					return nil, fmt.Errorf("line %d: geometry: %w", r.Line, err)
				}
			} else if r.GeoJSON != nil {
				geom, err := geojson.UnmarshalGeometry(r.GeoJSON)
				if err != nil {
					return nil, fmt.Errorf("line %d: geometry: %w", r.Line, err)
				}
				if g, err = wkb.Marshal(geom.Coordinates); err != nil {
					return nil, fmt.Errorf("line %d: geometry: %w", r.Line, err)
				}
			}
			return []any{r.Line, r.Name, r.Pinyin, Draft(r.Name), r.Category, r.AdminCode, aliases(r.Aliases), r.Origin, r.Meaning, r.History,
				r.HeritageLevel, r.HeritageList, r.ApprovalNo, approved, g}, nil
		}))
	if err != nil {
		return res, fmt.Errorf("stage place names: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlClassifyPlaces); err != nil {
		return res, err
	}
	if res.Changes, err = db.CountOps(ctx, tx, sqlCountPlaceOps); err != nil {
		return res, err
	}
	rs, err := tx.Query(ctx, sqlRepairedPlaces)
	if err != nil {
		return res, err
	}
	res.Repaired, err = pgx.CollectRows(rs, func(r pgx.CollectableRow) (int, error) {
		var line int
		var name string
		err := r.Scan(&line, &name)
		return line, err
	})
	if err != nil {
		return res, err
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{sqlAuditPlaceUpdates, []any{p.Name, p.Via, source}},
		{sqlApplyPlaceUpdates, []any{source}},
		{sqlInsertPlaces, []any{source, p.Name}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return res, err
		}
	}
	return res, nil
}
