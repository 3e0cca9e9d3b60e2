-- Prefecture (地级市) results of coverage runs: a kind whose presence rule is at the
-- prefecture level (e.g. 1–2 regional child-welfare facilities per prefecture city,
-- standards "presence": {"level": "prefecture", "min": 1, "max": 2}) stores one row per
-- prefecture (level 2, code = the first 4 digits padded with zeros) beside its
-- counties, townships and villages.
ALTER TABLE coverage_run_unit DROP CONSTRAINT coverage_run_unit_level_check;
ALTER TABLE coverage_run_unit ADD CONSTRAINT coverage_run_unit_level_check CHECK (level IN (2, 3, 4, 5));
