-- Population grids (人口栅格) for the coverage analyser, stored so that they reload into
-- memory fast: the raster in row chunks of little-endian float32, deflate-compressed by
-- the application (STORAGE EXTERNAL: PostgreSQL must not compress them again).

CREATE TABLE population_grid (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    year        integer NOT NULL CHECK (year BETWEEN 1900 AND 2200),
    west        float8 NOT NULL,
    north       float8 NOT NULL,
    dx          float8 NOT NULL CHECK (dx > 0),
    dy          float8 NOT NULL CHECK (dy > 0),
    width       integer NOT NULL CHECK (width > 0),
    height      integer NOT NULL CHECK (height > 0),
    bands       text[] NOT NULL CHECK (cardinality(bands) > 0),   -- layer names: total, age60plus, age0_17
    totals      float8[] NOT NULL,                                -- sum of each band
    nodata      real,
    chunk_rows  integer NOT NULL CHECK (chunk_rows > 0),
    extent      geometry(Polygon, 4326) NOT NULL,
    fingerprint text NOT NULL,                                    -- sha256 of the grid's values and geometry
    source      text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (name, year)
);
CREATE INDEX population_grid_extent_idx ON population_grid USING gist (extent);

CREATE TABLE population_chunk (
    grid_id  bigint NOT NULL REFERENCES population_grid (id) ON DELETE CASCADE,
    band     smallint NOT NULL,
    row0     integer NOT NULL,
    data     bytea NOT NULL,
    PRIMARY KEY (grid_id, band, row0)
);
ALTER TABLE population_chunk ALTER COLUMN data SET STORAGE EXTERNAL;
