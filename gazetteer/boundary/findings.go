package boundary

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"fangyuan/geo"
	"fangyuan/internal/auth"
)

// FindingInput is one finding from the field (WGS84).
type FindingInput struct {
	Line, Feature int // where in the file
	Number        string
	Condition     string
	HasPoint      bool
	Lon, Lat      float64
	Notes         string
	Photos        []string
	Inspector     string
	InspectedOn   time.Time
	Version       int // the marker version the team carried; 0: the package's
}

// FindingProblem is a finding that cannot be applied (a bad reference): it fails the
// import unless skipped.
type FindingProblem struct {
	Line, Feature int
	Number        string
	Field, Reason string
}

// FindingConflict is a finding refused because the marker changed after the package the
// team carried was exported. Recorded: it was already recorded by an earlier import.
type FindingConflict struct {
	Number         string    `json:"number"`
	Line           int       `json:"line,omitempty"`
	Feature        int       `json:"feature,omitempty"`
	BaseVersion    int       `json:"base_version"`
	CurrentVersion int       `json:"current_version"`
	ChangedAt      time.Time `json:"changed_at"`
	Recorded       bool      `json:"already_recorded,omitempty"`
}

// FindingsResult is what a findings import did.
type FindingsResult struct {
	Applied   int               `json:"applied"`
	Unchanged int               `json:"unchanged"`
	Conflicts []FindingConflict `json:"conflicts"`
}

// movedThreshold (m): new coordinates closer than this to the stored ones are the same
// position (a WGS84 → GCJ-02 → WGS84 round trip moves a point by under 1 cm).
const movedThreshold = 0.05

func digest(f FindingInput) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%v\x00%.8f\x00%.8f\x00%s\x00%s\x00%s\x00%s",
		f.Number, f.Condition, f.HasPoint, f.Lon, f.Lat, f.Notes, strings.Join(f.Photos, "\x01"), f.Inspector, f.InspectedOn.Format(time.DateOnly))
	return hex.EncodeToString(h.Sum(nil))
}

// ImportFindings applies findings of a round in tx: each marker's finding is recorded with
// the marker before and after, the marker gets the condition, new position, photos, notes
// and inspection date, and the change is audited. A marker whose version differs from the
// one the team carried (the file's version column, else the latest package of the round
// holding the marker) is not changed: the finding is recorded as a conflict. A finding
// already recorded (same content) changes nothing. teamID 0 takes each marker's team from
// the round's assignments; otherwise markers of other teams' lines are problems.
func (s *Store) ImportFindings(ctx context.Context, tx pgx.Tx, roundID, teamID int64, rows []FindingInput, source string) (FindingsResult, []FindingProblem, error) {
	res := FindingsResult{Conflicts: []FindingConflict{}}
	var problems []FindingProblem
	if _, ok := auth.FromContext(ctx); !ok {
		return res, nil, auth.ErrNoPrincipal
	}
	if _, err := scanRound(tx.QueryRow(ctx, sqlGetRound, roundID)); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return res, nil, fmt.Errorf("round %d: %w", roundID, ErrNotFound)
		}
		return res, nil, err
	}
	for _, f := range rows {
		prob := func(field, format string, args ...any) {
			problems = append(problems, FindingProblem{Line: f.Line, Feature: f.Feature, Number: f.Number, Field: field, Reason: fmt.Sprintf(format, args...)})
		}
		cur, err := scanMarker(tx.QueryRow(ctx, sqlMarkerByNumber, f.Number))
		if errors.Is(err, pgx.ErrNoRows) {
			prob("number", "no marker %s", f.Number)
			continue
		}
		if err != nil {
			return res, nil, err
		}
		var team *int64
		if err := tx.QueryRow(ctx, sqlMarkerRoundTeam, roundID, cur.LineID).Scan(&team); errors.Is(err, pgx.ErrNoRows) {
			prob("number", "marker %s (line %s) is not on a line of this round", f.Number, cur.LineExtID)
			continue
		} else if err != nil {
			return res, nil, err
		}
		if teamID != 0 && (team == nil || *team != teamID) {
			prob("number", "marker %s (line %s) is not on a line of this team", f.Number, cur.LineExtID)
			continue
		}
		d := digest(f)
		var status string
		err = tx.QueryRow(ctx, sqlFindingExists, roundID, cur.ID, d).Scan(&status)
		if err == nil {
			res.Unchanged++
			if status == "conflict" {
				res.Conflicts = append(res.Conflicts, FindingConflict{Number: f.Number, Line: f.Line, Feature: f.Feature,
					BaseVersion: f.Version, CurrentVersion: cur.Version, ChangedAt: cur.UpdatedAt, Recorded: true})
			}
			continue
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return res, nil, err
		}
		base := f.Version
		var pkg *int64
		if base == 0 {
			var id int64
			err := tx.QueryRow(ctx, sqlPackagedVersion, roundID, cur.ID).Scan(&base, &id)
			if errors.Is(err, pgx.ErrNoRows) {
				prob("version", "marker %s was in no package of this round: export the team's package first, or give the marker version the team carried", f.Number)
				continue
			}
			if err != nil {
				return res, nil, err
			}
			pkg = &id
		} else {
			var id int64
			if err := tx.QueryRow(ctx, sqlPackageOfVersion, roundID, cur.ID, base).Scan(&id); err == nil {
				pkg = &id
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return res, nil, err
			}
		}
		var lon, lat any
		moved := f.HasPoint && geo.Distance(orb.Point{f.Lon, f.Lat}, orb.Point{cur.Lon, cur.Lat}) >= movedThreshold
		if moved {
			lon, lat = f.Lon, f.Lat
		}
		photos := f.Photos
		if photos == nil {
			photos = []string{}
		}
		if cur.Version != base {
			if _, err := tx.Exec(ctx, sqlInsertFinding, roundID, team, cur.ID, pkg, f.Condition, lon, lat, f.Notes, photos, f.Inspector,
				f.InspectedOn, base, "conflict", cur, nil, source, max(f.Line, f.Feature), d); err != nil {
				return res, nil, err
			}
			res.Conflicts = append(res.Conflicts, FindingConflict{Number: f.Number, Line: f.Line, Feature: f.Feature,
				BaseVersion: base, CurrentVersion: cur.Version, ChangedAt: cur.UpdatedAt})
			continue
		}
		if _, err := tx.Exec(ctx, sqlApplyFinding, cur.ID, f.Condition, lon, lat, photos, f.InspectedOn, f.Notes); err != nil {
			return res, nil, err
		}
		after, err := scanMarker(tx.QueryRow(ctx, sqlGetMarker, cur.ID))
		if err != nil {
			return res, nil, err
		}
		if _, err := tx.Exec(ctx, sqlInsertFinding, roundID, team, cur.ID, pkg, f.Condition, lon, lat, f.Notes, photos, f.Inspector,
			f.InspectedOn, base, "applied", cur, after, source, max(f.Line, f.Feature), d); err != nil {
			return res, nil, err
		}
		if err := auth.Record(ctx, tx, auth.Entry{Action: "finding", Entity: "boundary_marker", Key: cur.Number, Before: cur, After: after,
			Detail: map[string]any{"round": roundID, "source": source, "inspector": f.Inspector, "date": f.InspectedOn.Format(time.DateOnly)}}); err != nil {
			return res, nil, err
		}
		res.Applied++
	}
	return res, problems, nil
}

// WriteSummaryXLSX writes the round's summary per team (汇总: lines, markers, inspected,
// progress, conditions, conflicts, packages) and every finding (成果) as XLSX.
func (s *Store) WriteSummaryXLSX(ctx context.Context, w io.Writer, roundID int64) error {
	round, err := scanRound(s.pool.QueryRow(ctx, sqlGetRound, roundID))
	if err != nil {
		return err
	}
	teams, err := teamsOf(ctx, s.pool, roundID)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	const teamsSheet, findingsSheet = "汇总 teams", "成果 findings"
	if err := f.SetSheetName("Sheet1", teamsSheet); err != nil {
		return err
	}
	put := func(sheet string, row int, vals ...any) error {
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return f.SetSheetRow(sheet, cell, &vals)
	}
	if err := put(teamsSheet, 1, "联检组 team", "组长 leader", "界线 lines", "界桩 markers", "已检 inspected", "进度 progress",
		"完好 intact", "损坏 damaged", "丢失 missing", "移位 moved", "冲突 conflicts", "数据包 packages"); err != nil {
		return err
	}
	for i, t := range teams {
		progress := 0.0
		if t.Markers > 0 {
			progress = float64(t.Inspected) / float64(t.Markers)
		}
		if err := put(teamsSheet, i+2, t.Name, t.Leader, t.Lines, t.Markers, t.Inspected, progress,
			t.Conditions["intact"], t.Conditions["damaged"], t.Conditions["missing"], t.Conditions["moved"], t.Conflicts, t.Packages); err != nil {
			return err
		}
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10})
	if err != nil {
		return err
	}
	if len(teams) > 0 {
		if err := f.SetCellStyle(teamsSheet, "F2", fmt.Sprintf("F%d", len(teams)+1), pct); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(teamsSheet, "A1", "L1", header); err != nil {
		return err
	}
	note := len(teams) + 3
	if err := put(teamsSheet, note, fmt.Sprintf("%s (%d) · %d lines in scope", round.Name, round.Year, round.Lines)); err != nil {
		return err
	}
	if _, err := f.NewSheet(findingsSheet); err != nil {
		return err
	}
	if err := put(findingsSheet, 1, "联检组 team", "界桩 marker", "界线 line", "状况 condition", "处理 status", "检查人 inspector",
		"检查日期 date", "备注 notes", "照片 photos", "版本 base_version", "来源 source"); err != nil {
		return err
	}
	if err := f.SetCellStyle(findingsSheet, "A1", "K1", header); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, sqlRoundFindings, roundID)
	if err != nil {
		return err
	}
	defer rows.Close()
	r := 2
	for rows.Next() {
		var team, number, line, cond, status, inspector, notes, photos, source string
		var date time.Time
		var base int
		var created time.Time
		if err := rows.Scan(&team, &number, &line, &cond, &status, &inspector, &date, &notes, &photos, &base, &source, &created); err != nil {
			return err
		}
		if err := put(findingsSheet, r, team, number, line, cond, status, inspector, date.Format(time.DateOnly), notes, photos, base, source); err != nil {
			return err
		}
		r++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return f.Write(w)
}
