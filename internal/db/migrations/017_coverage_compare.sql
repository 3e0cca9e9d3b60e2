-- Both measures side by side (出行时间覆盖 beside the straight-line radius): a travel-time run
-- keeps, per township, the population the straight-line radius covers (compare_covered) and
-- the part of it that no road reaches in time (compare_only: counted by the radius, not
-- reached). NULL when the run has no second measure (straight-line runs).
ALTER TABLE coverage_run_unit
    ADD COLUMN compare_covered float8 CHECK (compare_covered >= 0),
    ADD COLUMN compare_only    float8 CHECK (compare_only >= 0);
