-- 路网 road network for the travel-time reach (coverage/network): one row per road or ferry
-- section between junctions, as imported from OpenStreetMap (fangyuan import osm). The
-- travel profiles (walking, driving, ferries) are in the standards file, not here: the
-- rows keep what the source says (class, posted speeds, one-way, access, ferry duration).
CREATE TABLE network_edge (
    id           bigserial PRIMARY KEY,
    way_id       bigint NOT NULL,                 -- OSM way id
    from_node    bigint NOT NULL,                 -- OSM node ids at the ends of geom
    to_node      bigint NOT NULL,
    class        text   NOT NULL CHECK (class <> '' AND char_length(class) <= 64), -- highway class, or 'ferry'
    maxspeed_fwd real   NOT NULL DEFAULT 0 CHECK (maxspeed_fwd >= 0),  -- km/h, 0 untagged
    maxspeed_bwd real   NOT NULL DEFAULT 0 CHECK (maxspeed_bwd >= 0),
    oneway       smallint NOT NULL DEFAULT 0 CHECK (oneway IN (-1, 0, 1)),
    foot         boolean NOT NULL,
    motor        boolean NOT NULL,
    bridge       boolean NOT NULL DEFAULT false,
    tunnel       boolean NOT NULL DEFAULT false,
    ferry        boolean NOT NULL DEFAULT false,
    duration_s   double precision NOT NULL DEFAULT 0 CHECK (duration_s >= 0), -- ferry section crossing time
    wait_share   double precision NOT NULL DEFAULT 1 CHECK (wait_share >= 0 AND wait_share <= 1),
    length_m     double precision NOT NULL CHECK (length_m >= 0),
    source       text NOT NULL DEFAULT '',        -- the file it was imported from
    geom         geometry(LineString, 4326) NOT NULL,
    CHECK (ferry = (class = 'ferry'))
);
CREATE INDEX network_edge_geom_idx ON network_edge USING gist (geom);
