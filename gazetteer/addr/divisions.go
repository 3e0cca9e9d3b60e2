package addr

import (
	"time"

	"fangyuan/gazetteer"
	"fangyuan/gazetteer/snapshot"
)

// Division answers GET /api/divisions/{code} (without geometry) from the current State:
// the version of the 12-digit code valid on day (zero: today, UTC) with its admin chain,
// field for field as gazetteer.Store answers from PostGIS, and the store's write
// generation that State was loaded after. It makes Service a gazetteer.UnitSource.
func (s *Service) Division(code string, day time.Time) (gazetteer.Division, uint64, bool) {
	st := s.Current()
	if st == nil || st.Data == nil {
		return gazetteer.Division{}, 0, false
	}
	d := DivisionAt(st.Data, code, snapshot.DayOf(day))
	if d == nil {
		return gazetteer.Division{}, st.Gen, false
	}
	return *d, st.Gen, true
}

// DivisionAt is the unit with code valid on day in data as the API returns it, or nil.
func DivisionAt(data *snapshot.Data, code string, day snapshot.Day) *gazetteer.Division {
	i := data.At(code, day)
	if i < 0 {
		return nil
	}
	u := &data.Units[i]
	lvl := gazetteer.Level(u.Level)
	d := &gazetteer.Division{
		Code: u.Code, Level: lvl, LevelName: lvl.String(), Kind: u.Kind, Name: u.Name,
		PinyinDraft: u.Draft, Aliases: u.Aliases, ValidFrom: u.From.String(),
		HasGeometry: u.HasGeom, Version: int(u.Version),
	}
	if u.Parent != "" {
		p := u.Parent
		d.ParentCode = &p
	}
	if u.HasPinyin {
		p := u.Pinyin
		d.Pinyin = &p
	}
	if u.To != snapshot.Forever {
		to := u.To.String()
		d.ValidTo = &to
	}
	// The ancestors valid on day, province first (the chain ends with the unit itself).
	var buf [6]int32
	chain := data.Chain(buf[:0], i, day)
	if n := len(chain) - 1; n > 0 {
		d.Chain = make([]gazetteer.ChainLink, n)
		for k, c := range chain[:n] {
			a := &data.Units[c]
			d.Chain[k] = gazetteer.ChainLink{Code: a.Code, Level: gazetteer.Level(a.Level), Name: a.Name}
		}
	}
	return d
}
