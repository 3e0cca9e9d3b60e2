-- 数字门牌 digital plates: ids with a check character, status dates and their history.
--
-- A plate id is 10 random Crockford base32 characters and a check character (the value
-- of the 10 characters mod 37, ids are only drawn where it is below 32 so that it is a
-- base32 character too): 11 characters of 0-9 A-Z without I, L, O and U. The plate and
-- its history hold no personal data; who changed a plate is in the audit log.
ALTER TABLE plate DROP CONSTRAINT plate_id_check;
ALTER TABLE plate ADD CONSTRAINT plate_id_format CHECK (id ~ '^[0-9A-HJKMNP-TV-Z]{11}$');
ALTER TABLE plate
    ADD COLUMN ordered_on date NOT NULL DEFAULT current_date,
    ADD COLUMN damaged_on date,
    ADD COLUMN removed_on date;
ALTER TABLE plate ADD CONSTRAINT plate_status_dates CHECK (
    (status = 'ordered' OR installed_on IS NOT NULL OR removed_on IS NOT NULL) AND
    (status <> 'damaged' OR damaged_on IS NOT NULL) AND
    ((status = 'removed') = (removed_on IS NOT NULL)) AND
    (installed_on IS NULL OR installed_on >= ordered_on) AND
    (damaged_on IS NULL OR damaged_on >= installed_on) AND
    (removed_on IS NULL OR removed_on >= ordered_on));
-- At most one plate that is not removed per house number.
CREATE UNIQUE INDEX plate_one_live ON plate (house_number_id) WHERE status <> 'removed';

-- Every status a plate went through, with the date it took effect.
CREATE TABLE plate_event (
    id          bigserial PRIMARY KEY,
    plate_id    text NOT NULL REFERENCES plate (id),
    status      text NOT NULL CHECK (status IN ('ordered', 'installed', 'damaged', 'removed')),
    on_date     date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plate_event_plate_idx ON plate_event (plate_id, id);
