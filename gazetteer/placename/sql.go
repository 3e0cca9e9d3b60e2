package placename

// All SQL of the placename package.

const placeColumns = `p.id, p.name, coalesce(p.pinyin, ''), p.pinyin_draft, p.category, coalesce(p.admin_code, ''), p.aliases,
  p.origin, p.meaning, p.history, p.heritage_level, p.heritage_list, p.status, p.approval_no,
  coalesce(p.approved_on::text, ''), coalesce(p.retired_on::text, ''),
  ST_AsGeoJSON(p.geom, 7), ST_X(ST_PointOnSurface(p.geom)), ST_Y(ST_PointOnSurface(p.geom)),
  p.source, p.version, p.updated_at`

const (
	// $1 admin prefix, $2 category prefix, $3 text, $4..$7 bbox, $8 status filter
	// ('current': not retired, 'all', or a status), $9 limit, $10 offset.
	sqlListPlaces = `
SELECT ` + placeColumns + `, count(*) OVER ()
FROM place_name p
WHERE ($1::text IS NULL OR p.admin_code LIKE $1 || '%')
  AND ($2::text IS NULL OR p.category LIKE $2 || '%')
  AND ($3::text IS NULL OR strpos(p.name, $3) > 0 OR strpos(replace(lower(coalesce(p.pinyin, '')), ' ', ''), lower(replace($3, ' ', ''))) > 0
       OR strpos(replace(p.pinyin_draft, ' ', ''), lower(replace($3, ' ', ''))) > 0 OR $3 = ANY (p.aliases))
  AND ($4::float8 IS NULL OR p.geom && ST_MakeEnvelope($4, $5, $6, $7, 4326))
  AND (CASE $8::text WHEN 'all' THEN true WHEN 'current' THEN p.status <> 'retired' ELSE p.status = $8 END)
ORDER BY p.admin_code, p.category, p.name, p.id
LIMIT $9 OFFSET $10`

	sqlGetPlace = `SELECT ` + placeColumns + ` FROM place_name p WHERE p.id = $1`

	sqlGetPlaceForUpdate = `SELECT ` + placeColumns + ` FROM place_name p WHERE p.id = $1 FOR UPDATE`

	sqlHistory = `
SELECT id, act, coalesce(name_before, ''), coalesce(pinyin_before, ''), coalesce(name_after, ''), coalesce(pinyin_after, ''),
  approval_no, coalesce(approved_on::text, ''), actor, recorded_at
FROM place_name_history WHERE place_name_id = $1 ORDER BY id`

	// A current division with that code.
	sqlDivisionExists = `SELECT EXISTS (SELECT 1 FROM admin_unit WHERE code = $1 AND valid_to IS NULL)`

	// The deepest division covering the geometry's representative point.
	sqlAdminCodeAt = `SELECT admin_code_at(ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)))`

	sqlInsertPlace = `
INSERT INTO place_name (name, pinyin, pinyin_draft, category, admin_code, aliases, origin, meaning, history,
  heritage, heritage_level, heritage_list, status, approval_no, approved_on, geom, source)
VALUES ($1, nullif($2, ''), $3, $4, $5, $6, $7, $8, $9, $10 <> '', $11, $10, $12, $13, $14::date,
  CASE WHEN $15::text IS NULL THEN NULL ELSE ST_SetSRID(ST_GeomFromGeoJSON($15), 4326) END, $16)
RETURNING id`

	sqlUpdatePlace = `
UPDATE place_name SET name = $2, pinyin = nullif($3, ''), pinyin_draft = $4, category = $5, admin_code = $6, aliases = $7,
  origin = $8, meaning = $9, history = $10, heritage = $11 <> '', heritage_level = $12, heritage_list = $11,
  status = $13, approval_no = $14, approved_on = $15::date,
  geom = CASE WHEN $16::text IS NULL THEN NULL ELSE ST_SetSRID(ST_GeomFromGeoJSON($16), 4326) END,
  version = version + 1, updated_at = now()
WHERE id = $1 AND version = $17`

	sqlRenamePlace = `
UPDATE place_name SET name = $2, pinyin = nullif($3, ''), pinyin_draft = $4, approval_no = $5, approved_on = $6::date,
  historical_names = historical_names || jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
    'name', name, 'pinyin', pinyin, 'from', approved_on, 'to', $6::date, 'approval_no', nullif(approval_no, '')))),
  version = version + 1, updated_at = now()
WHERE id = $1 AND version = $7`

	sqlRetirePlace = `
UPDATE place_name SET status = 'retired', retired_on = $2::date, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $3`

	sqlInsertAct = `
INSERT INTO place_name_history (place_name_id, act, name_before, pinyin_before, name_after, pinyin_after, approval_no, approved_on, actor)
VALUES ($1, $2, nullif($3, ''), nullif($4, ''), nullif($5, ''), nullif($6, ''), $7, $8::date, $9)`

	// Candidates for the name check: current place names of the county (or of every county
	// when $1 is NULL), of the category when $2 is given.
	sqlCheckCandidates = `
SELECT p.id, p.name, coalesce(p.pinyin, ''), p.pinyin_draft, p.category, coalesce(p.admin_code, '')
FROM place_name p
WHERE p.status <> 'retired'
  AND ($1::text IS NULL OR p.admin_code LIKE $1 || '%')
  AND ($2::text IS NULL OR p.category = $2)
ORDER BY p.id`

	// Of a list of 12-digit codes, the ones that name a current division.
	sqlCurrentCodes = `SELECT code FROM admin_unit WHERE valid_to IS NULL AND code = ANY ($1::text[])`

	sqlStagePlaces = `
CREATE TEMP TABLE stage_place (
  line int, name text, pinyin text, pinyin_draft text, category text, admin_code text, aliases text[],
  origin text, meaning text, history text, heritage_level text, heritage_list text,
  approval_no text, approved_on date, wkb bytea,
  PRIMARY KEY (admin_code, category, name)
) ON COMMIT DROP`

	// Invalid geometry is repaired (ST_MakeValid); the admin code is the file's.
	sqlClassifyPlaces = `
CREATE TEMP TABLE diff_place ON COMMIT DROP AS
WITH s AS (
  SELECT s.*, ST_GeomFromWKB(s.wkb, 4326) AS g
  FROM stage_place s
), v AS (
  SELECT s.*, CASE WHEN g IS NULL OR ST_IsValid(g) THEN g ELSE ST_MakeValid(g) END AS geom,
    g IS NOT NULL AND NOT ST_IsValid(g) AS repaired
  FROM s
)
SELECT v.*, p.id AS cur_id,
  CASE WHEN p.id IS NULL THEN 'insert'
       WHEN (coalesce(p.pinyin, ''), p.aliases, p.origin, p.meaning, p.history, p.heritage_level, p.heritage_list,
             p.approval_no, p.approved_on)
            IS NOT DISTINCT FROM (v.pinyin, v.aliases, v.origin, v.meaning, v.history, v.heritage_level, v.heritage_list,
             v.approval_no, v.approved_on)
            AND ((p.geom IS NULL AND v.geom IS NULL) OR ST_Equals(p.geom, v.geom)) THEN 'same'
       ELSE 'update' END AS op
FROM v LEFT JOIN place_name p
  ON p.status <> 'retired' AND p.admin_code = v.admin_code AND p.category = v.category AND p.name = v.name`

	sqlCountPlaceOps = `SELECT op, count(*) FROM diff_place GROUP BY op`

	sqlRepairedPlaces = `SELECT line, name FROM diff_place WHERE repaired ORDER BY line`

	sqlAuditPlaceUpdates = `
INSERT INTO audit_log (actor, via, action, entity, entity_key, before, after, detail)
SELECT $1, $2, 'update', 'place_name', p.id::text,
  jsonb_build_object('name', p.name, 'pinyin', p.pinyin, 'aliases', p.aliases, 'origin', p.origin, 'meaning', p.meaning,
    'history', p.history, 'heritage_level', p.heritage_level, 'heritage_list', p.heritage_list,
    'approval_no', p.approval_no, 'approved_on', p.approved_on, 'geometry', ST_AsGeoJSON(p.geom, 7)::jsonb),
  jsonb_build_object('name', d.name, 'pinyin', nullif(d.pinyin, ''), 'aliases', d.aliases, 'origin', d.origin, 'meaning', d.meaning,
    'history', d.history, 'heritage_level', d.heritage_level, 'heritage_list', d.heritage_list,
    'approval_no', d.approval_no, 'approved_on', d.approved_on, 'geometry', ST_AsGeoJSON(d.geom, 7)::jsonb),
  jsonb_build_object('source', $3::text, 'line', d.line)
FROM diff_place d JOIN place_name p ON p.id = d.cur_id WHERE d.op = 'update'`

	sqlApplyPlaceUpdates = `
UPDATE place_name p SET pinyin = nullif(d.pinyin, ''), pinyin_draft = d.pinyin_draft, aliases = d.aliases,
  origin = d.origin, meaning = d.meaning, history = d.history,
  heritage = d.heritage_list <> '', heritage_level = d.heritage_level, heritage_list = d.heritage_list,
  approval_no = d.approval_no, approved_on = d.approved_on, geom = d.geom, source = $1,
  version = p.version + 1, updated_at = now()
FROM diff_place d WHERE d.op = 'update' AND p.id = d.cur_id`

	// New places, each with its naming act.
	sqlInsertPlaces = `
WITH ins AS (
  INSERT INTO place_name (name, pinyin, pinyin_draft, category, admin_code, aliases, origin, meaning, history,
    heritage, heritage_level, heritage_list, approval_no, approved_on, geom, source)
  SELECT name, nullif(pinyin, ''), pinyin_draft, category, admin_code, aliases, origin, meaning, history,
    heritage_list <> '', heritage_level, heritage_list, approval_no, approved_on, geom, $1
  FROM diff_place WHERE op = 'insert' ORDER BY line
  RETURNING id, name, pinyin, approval_no, approved_on
)
INSERT INTO place_name_history (place_name_id, act, name_after, pinyin_after, approval_no, approved_on, actor)
SELECT id, 'name', name, pinyin, approval_no, approved_on, $2 FROM ins`
)

// The OGC API collection (ogc.go): one expression per property of ogcProperties.
const (
	ogcFrom = `place_name p`
	// Validity starts at the naming act (none recorded: open).
	ogcNamedOn = `coalesce((SELECT h.approved_on FROM place_name_history h WHERE h.place_name_id = p.id AND h.act = 'name' ORDER BY h.id LIMIT 1), '-infinity'::date)`
)

var ogcColumns = []string{`p.name`, `p.pinyin`, `p.category`, `p.admin_code`, `to_json(p.aliases)`, `p.origin`, `p.meaning`, `p.history`,
	`p.heritage_level`, `p.heritage_list`, `p.status`, `p.approval_no`, `p.approved_on::text`,
	`(SELECT h.approved_on::text FROM place_name_history h WHERE h.place_name_id = p.id AND h.act = 'name' ORDER BY h.id LIMIT 1)`,
	`p.retired_on::text`, `p.source`, `p.version`, `p.updated_at`}
