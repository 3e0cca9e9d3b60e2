-- 门牌编号规则 and 门牌 house numbers: numbering presets a bureau can make its default,
-- a road's own rule (override) or the preset it follows, metric numbering, sub-addresses,
-- the planned → active → retired life cycle with approval numbers, and lineage
-- (predecessor → successor) so that an id never changes meaning.

-- A preset resolves to a road's origin and odd side from the road's geometry:
--   compass: east–west roads start at ew_from with odd numbers on ew_odd, north–south
--            roads start at ns_from with odd numbers on ns_odd (Beijing);
--   centre:  numbers start at the end nearest the centre (centre_lon, centre_lat, else the
--            road's county centroid), odd numbers on odd_side walking away from it;
--   start:   numbers start at the first vertex, odd numbers on odd_side.
-- Dead-end lanes (lanes_from_entrance, a road with exactly one end touching another road)
-- are numbered from their entrance with odd numbers on lane_odd.
CREATE TABLE numbering_preset (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
    title       text NOT NULL DEFAULT '' CHECK (char_length(title) <= 200),
    origin      text NOT NULL DEFAULT 'compass' CHECK (origin IN ('compass', 'centre', 'start')),
    ew_from     text NOT NULL DEFAULT 'east' CHECK (ew_from IN ('east', 'west')),
    ew_odd      text NOT NULL DEFAULT 'north' CHECK (ew_odd IN ('north', 'south')),
    ns_from     text NOT NULL DEFAULT 'north' CHECK (ns_from IN ('north', 'south')),
    ns_odd      text NOT NULL DEFAULT 'west' CHECK (ns_odd IN ('west', 'east')),
    odd_side    text NOT NULL DEFAULT 'left' CHECK (odd_side IN ('left', 'right')),
    lanes_from_entrance boolean NOT NULL DEFAULT false,
    lane_odd    text NOT NULL DEFAULT 'right' CHECK (lane_odd IN ('left', 'right')),
    centre_lon  double precision CHECK (centre_lon BETWEEN -180 AND 180),
    centre_lat  double precision CHECK (centre_lat BETWEEN -90 AND 90),
    metric      boolean NOT NULL DEFAULT false,
    step_m      double precision NOT NULL DEFAULT 1 CHECK (step_m > 0 AND step_m <= 1000),
    is_default  boolean NOT NULL DEFAULT false,
    note        text NOT NULL DEFAULT '' CHECK (char_length(note) <= 4000)
);
CREATE UNIQUE INDEX numbering_preset_one_default ON numbering_preset (is_default) WHERE is_default;
INSERT INTO numbering_preset (name, title, origin, ew_from, ew_odd, ns_from, ns_odd, odd_side, lanes_from_entrance, lane_odd, metric, step_m, is_default, note) VALUES
    ('beijing', '北京规则', 'compass', 'east', 'north', 'north', 'west', 'left', true, 'right', false, 1, true,
     '东西向街道由东向西编号，北侧单号；南北向街道由北向南编号，西侧单号；死胡同由入口编起，右侧单号'),
    ('centre', '由中心向外', 'centre', 'east', 'north', 'north', 'west', 'left', false, 'right', false, 1, false,
     '由离中心较近的一端编起，左单右双'),
    ('metric', '距离编号', 'start', 'east', 'north', 'north', 'west', 'left', false, 'right', true, 1, false,
     '门牌号为距起点的米数（按单双取整），左单右双');

-- A road's rule: numbering_override = true means the road's own columns (numbering_origin,
-- odd_side, one_sided, numbering_metric, numbering_step_m) are its rule; false means it
-- follows numbering_preset (NULL: the bureau default) and those columns hold what the
-- preset resolved to when the rule was last set (so readers need not resolve it again).
-- Existing roads keep their explicit columns: the default is true.
ALTER TABLE road
    ADD COLUMN numbering_override boolean NOT NULL DEFAULT true,
    ADD COLUMN numbering_preset text REFERENCES numbering_preset (name),
    ADD COLUMN numbering_metric boolean NOT NULL DEFAULT false,
    ADD COLUMN numbering_step_m double precision NOT NULL DEFAULT 1 CHECK (numbering_step_m > 0 AND numbering_step_m <= 1000);

-- Sub-address, life cycle and lineage of house numbers.
ALTER TABLE house_number
    ADD COLUMN unit         text NOT NULL DEFAULT '' CHECK (char_length(unit) <= 200),   -- 单元
    ADD COLUMN room         text NOT NULL DEFAULT '' CHECK (char_length(room) <= 200),   -- 室
    ADD COLUMN approval_no  text NOT NULL DEFAULT '' CHECK (char_length(approval_no) <= 200), -- 批准文号
    ADD COLUMN approved_on  date,
    ADD COLUMN planned_on   date,
    ADD COLUMN activated_on date,
    ADD COLUMN retired_on   date,
    ADD COLUMN note         text NOT NULL DEFAULT '' CHECK (char_length(note) <= 4000),
    ADD COLUMN predecessor_id bigint REFERENCES house_number (id),
    ADD COLUMN source       text NOT NULL DEFAULT '' CHECK (char_length(source) <= 500),
    ADD CONSTRAINT house_number_retired_dated CHECK (status <> 'retired' OR valid_to IS NOT NULL),
    ADD CONSTRAINT house_number_not_own_predecessor CHECK (predecessor_id IS DISTINCT FROM id);
CREATE INDEX house_number_predecessor_idx ON house_number (predecessor_id) WHERE predecessor_id IS NOT NULL;
-- One number per road, suffix and sub-address at a time (units and rooms of one building
-- are separate rows of the same number): a unique B-tree over the current rows (valid_to
-- IS NULL: planned and active numbers) instead of 001's GiST exclusion over the validity
-- ranges. Every write starts a number today and ends the one it replaces today or later
-- (retire, renumber, import), so closed ranges cannot overlap a current one; the B-tree
-- keeps a 1.6 M-row import within a minute, where inserting into the multi-column GiST
-- (btree_gist over text columns) took minutes. Two editors assigning the same number at
-- once: the second waits for the first and gets a unique violation (409).
ALTER TABLE house_number DROP CONSTRAINT house_number_one_active;
CREATE UNIQUE INDEX house_number_one_current ON house_number (road_id, number, suffix, building, unit, room)
    WHERE valid_to IS NULL;
-- A number assigned and retired (or renumbered) on the same day was never in force: its
-- validity is the empty range [d, d), which overlaps nothing.
ALTER TABLE house_number DROP CONSTRAINT house_number_validity;
ALTER TABLE house_number ADD CONSTRAINT house_number_validity CHECK (valid_to IS NULL OR valid_to >= valid_from);
