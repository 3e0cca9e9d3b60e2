package divchange

// All SQL of the yearly division-code update, as named constants with $n parameters.
//
// The dependant queries take the one-to-one moves as two arrays ($1 old codes, $2 new
// codes) and the undecided codes as $3; each returns the records on those codes: id, the
// code carried, where it goes (NULL: it stays and waits for a person), a label, and
// whether following would collide with a record already there (unique keys of roads,
// place names and boundary lines).
const (
	sqlCurrentUnits = `
SELECT code, level, name, coalesce(parent_code, '') FROM admin_unit
WHERE valid_to IS NULL AND substr(code, 1, 2) = ANY ($1::text[]) AND level = ANY ($2::smallint[])`

	// Units of the scope valid from the new table's date or later cannot get a new version
	// from it (an older table, or the same one applied again with corrections).
	sqlNotBefore = `
SELECT code, to_char(valid_from, 'YYYY-MM-DD') FROM admin_unit
WHERE valid_to IS NULL AND valid_from >= $1::date AND code = ANY ($2::text[])
ORDER BY code LIMIT 5`

	movesCTE = `WITH m AS (SELECT * FROM unnest($1::text[], $2::text[]) AS m(old_code, new_code))`

	sqlFacilityDependants = movesCTE + `
SELECT f.id, f.admin_code::text, m.new_code, f.name, false
FROM facility f LEFT JOIN m ON m.old_code = f.admin_code
WHERE m.old_code IS NOT NULL OR f.admin_code = ANY ($3::text[])
ORDER BY f.id`

	// current (planned or active) house numbers; retired ones keep the code of their time
	sqlHouseNumberDependants = movesCTE + `
SELECT h.id, h.admin_code::text, m.new_code,
  r.name || h.number || h.suffix || '号' || CASE WHEN h.building <> '' THEN ' ' || h.building ELSE '' END, false
FROM house_number h JOIN road r ON r.id = h.road_id LEFT JOIN m ON m.old_code = h.admin_code
WHERE h.valid_to IS NULL AND (m.old_code IS NOT NULL OR h.admin_code = ANY ($3::text[]))
ORDER BY h.id`

	sqlRoadDependants = movesCTE + `, mv AS (
  SELECT r.id, r.admin_code::text AS code, m.new_code, r.name
  FROM road r LEFT JOIN m ON m.old_code = r.admin_code
  WHERE m.old_code IS NOT NULL OR r.admin_code = ANY ($3::text[]))
SELECT mv.id, mv.code, mv.new_code, mv.name,
  mv.new_code IS NOT NULL AND (count(*) OVER (PARTITION BY mv.new_code, mv.name) > 1
    OR EXISTS (SELECT 1 FROM road o WHERE o.admin_code = mv.new_code AND o.name = mv.name
               AND o.id NOT IN (SELECT id FROM mv WHERE new_code IS NOT NULL)))
FROM mv ORDER BY mv.id`

	// names in use (not retired); a retired name keeps the code of its time
	sqlPlaceNameDependants = movesCTE + `, mv AS (
  SELECT p.id, p.admin_code::text AS code, m.new_code, p.name, p.category
  FROM place_name p LEFT JOIN m ON m.old_code = p.admin_code
  WHERE p.status <> 'retired' AND (m.old_code IS NOT NULL OR p.admin_code = ANY ($3::text[])))
SELECT mv.id, mv.code, mv.new_code, mv.name,
  mv.new_code IS NOT NULL AND (count(*) OVER (PARTITION BY mv.new_code, mv.category, mv.name) > 1
    OR EXISTS (SELECT 1 FROM place_name o WHERE o.status <> 'retired' AND o.admin_code = mv.new_code
               AND o.category = mv.category AND o.name = mv.name
               AND o.id NOT IN (SELECT id FROM mv WHERE new_code IS NOT NULL)))
FROM mv ORDER BY mv.id`

	sqlRoundDependants = movesCTE + `
SELECT i.id, i.scope_unit::text, m.new_code, i.name, false
FROM inspection_round i LEFT JOIN m ON m.old_code = i.scope_unit
WHERE m.old_code IS NOT NULL OR i.scope_unit = ANY ($3::text[])
ORDER BY i.id`

	// Lines: each side follows its own mapping; the new pair is stored smaller code left
	// (the geometry reversed when the sides swap). A line whose two sides become one unit,
	// or that would collide with another line, waits.
	sqlLineDependants = movesCTE + `, l AS (
  SELECT b.id, b.name, b.left_code::text AS lc, b.right_code::text AS rc,
    coalesce(ml.new_code, b.left_code) AS nl, coalesce(mr.new_code, b.right_code) AS nr,
    b.left_code = ANY ($3::text[]) AS left_undecided, b.right_code = ANY ($3::text[]) AS right_undecided
  FROM boundary_line b LEFT JOIN m ml ON ml.old_code = b.left_code LEFT JOIN m mr ON mr.old_code = b.right_code
  WHERE ml.old_code IS NOT NULL OR mr.old_code IS NOT NULL OR b.left_code = ANY ($3::text[]) OR b.right_code = ANY ($3::text[]))
SELECT l.id, l.name, l.lc, l.rc, l.nl, l.nr, l.left_undecided, l.right_undecided, l.nl = l.nr,
  l.nl <> l.nr AND (count(*) OVER (PARTITION BY least(l.nl, l.nr), greatest(l.nl, l.nr), l.name) > 1
    OR EXISTS (SELECT 1 FROM boundary_line o WHERE o.left_code = least(l.nl, l.nr) AND o.right_code = greatest(l.nl, l.nr)
               AND o.name = l.name AND o.id NOT IN (SELECT id FROM l)))
FROM l ORDER BY l.id`

	// Moves: $1 ids, $2 old codes, $3 new codes, $4 actor, $5 via, $6 report id.
	auditMoved = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $4, $5, 'update', '%s', id::text, jsonb_build_object('admin_code', old_code),
  jsonb_build_object('admin_code', new_code), jsonb_build_object('division_change_report', $6::bigint)
FROM moved`

	sqlMoveFacilities = `
WITH moved AS (
  UPDATE facility f SET admin_code = v.new_code, version = f.version + 1, updated_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, old_code, new_code)
  WHERE f.id = v.id AND f.admin_code = v.old_code
  RETURNING f.id, v.old_code, v.new_code)`

	sqlMoveHouseNumbers = `
WITH moved AS (
  UPDATE house_number h SET admin_code = v.new_code, version = h.version + 1, updated_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, old_code, new_code)
  WHERE h.id = v.id AND h.admin_code = v.old_code
  RETURNING h.id, v.old_code, v.new_code)`

	sqlMoveRoads = `
WITH moved AS (
  UPDATE road r SET admin_code = v.new_code, version = r.version + 1, updated_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, old_code, new_code)
  WHERE r.id = v.id AND r.admin_code = v.old_code
  RETURNING r.id, v.old_code, v.new_code)`

	sqlMovePlaceNames = `
WITH moved AS (
  UPDATE place_name p SET admin_code = v.new_code, version = p.version + 1, updated_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, old_code, new_code)
  WHERE p.id = v.id AND p.admin_code = v.old_code
  RETURNING p.id, v.old_code, v.new_code)`

	sqlMoveRounds = `
WITH moved AS (
  UPDATE inspection_round i SET scope_unit = v.new_code, version = i.version + 1, updated_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, old_code, new_code)
  WHERE i.id = v.id AND i.scope_unit = v.old_code
  RETURNING i.id, v.old_code, v.new_code)`

	// $1 ids, $2 old left, $3 old right, $4 new left, $5 new right (unordered), $6 actor,
	// $7 via, $8 report id.
	sqlMoveLines = `
WITH moved AS (
  UPDATE boundary_line b SET left_code = least(v.nl, v.nr), right_code = greatest(v.nl, v.nr),
    geom = CASE WHEN v.nl > v.nr THEN ST_Reverse(b.geom) ELSE b.geom END,
    version = b.version + 1, updated_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS v(id, lc, rc, nl, nr)
  WHERE b.id = v.id AND b.left_code = v.lc AND b.right_code = v.rc
  RETURNING b.id, v.lc, v.rc, least(v.nl, v.nr) AS nl, greatest(v.nl, v.nr) AS nr)
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $6, $7, 'update', 'boundary_line', id::text, jsonb_build_object('left_code', lc, 'right_code', rc),
  jsonb_build_object('left_code', nl, 'right_code', nr), jsonb_build_object('division_change_report', $8::bigint)
FROM moved`

	// Units: retire the vanished codes ($1 date, $2 codes, $3 actor, $4 via, $5 report).
	sqlRetireUnits = `
WITH gone AS (
  UPDATE admin_unit a SET valid_to = $1::date, updated_at = now()
  WHERE a.valid_to IS NULL AND a.valid_from < $1::date AND a.code = ANY ($2::text[])
  RETURNING a.code, a.name, a.level
)
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, detail)
SELECT $3, $4, 'retire', 'admin_unit', code, jsonb_build_object('name', name, 'level', level),
  jsonb_build_object('valid_to', $1::date, 'division_change_report', $5::bigint)
FROM gone`

	// A recoded unit keeps its boundary, official pinyin (same name) and aliases (plus its
	// old name when renamed) under the new code: $1 date, $2 old codes, $3 new codes.
	sqlCarryRecoded = `
UPDATE admin_unit n SET geom = o.geom,
  pinyin = CASE WHEN o.name = n.name THEN o.pinyin ELSE n.pinyin END,
  aliases = CASE WHEN o.name <> n.name AND NOT o.name = ANY (o.aliases) THEN array_append(o.aliases, o.name) ELSE o.aliases END,
  updated_at = now()
FROM unnest($2::text[], $3::text[]) AS v(old_code, new_code)
JOIN admin_unit o ON o.code = v.old_code AND o.valid_to = $1::date
WHERE n.code = v.new_code AND n.valid_to IS NULL AND n.valid_from = $1::date`

	// $1 date, $2 old codes, $3 new codes (NULL: abolished), $4 change, $5 note.
	sqlInsertCodeChanges = `
INSERT INTO admin_code_change (old_code, new_code, changed_on, change, note)
SELECT v.old_code, v.new_code, $1::date, v.change, v.note
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS v(old_code, new_code, change, note)
ON CONFLICT (old_code, new_code, changed_on) DO NOTHING`

	sqlInsertReport = `
INSERT INTO division_change_report (valid_from, source, provinces, actor, via, summary)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`

	sqlInsertReportRows = `
INSERT INTO division_change_row (report_id, seq, kind, level, old_code, new_code, old_name, new_name, old_parent, new_parent, ambiguous, note)
SELECT $1, v.seq, v.kind, v.level, v.old_code, v.new_code, v.old_name, v.new_name, v.old_parent, v.new_parent, v.ambiguous, v.note
FROM unnest($2::int[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $12::text[])
  AS v(seq, kind, level, old_code, new_code, old_name, new_name, old_parent, new_parent, ambiguous, note)`

	sqlInsertPending = `
INSERT INTO division_change_pending (report_id, entity, entity_id, field, code, candidates, reason, label)
SELECT $1, v.entity, v.entity_id, v.field, v.code, string_to_array(v.candidates, ','), v.reason, v.label
FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
  AS v(entity, entity_id, field, code, candidates, reason, label)`

	// Reads.
	sqlListReports = `
SELECT id, to_char(valid_from, 'YYYY-MM-DD'), source, provinces, actor, via, summary,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM division_change_report
WHERE ($1::date IS NULL OR valid_from >= $1::date)
ORDER BY valid_from, id`

	sqlGetReport = `
SELECT id, to_char(valid_from, 'YYYY-MM-DD'), source, provinces, actor, via, summary,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM division_change_report WHERE id = $1`

	sqlReportRows = `
SELECT report_id, kind, level, old_code, new_code, old_name, new_name, old_parent, new_parent, ambiguous, note
FROM division_change_row WHERE report_id = ANY ($1::bigint[]) ORDER BY report_id, seq`

	sqlReportPending = `
SELECT entity, entity_id, field, code, candidates, reason, label
FROM division_change_pending WHERE report_id = $1 ORDER BY entity, entity_id, field`
)
