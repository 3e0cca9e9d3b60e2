package network

// All SQL of the network package.
const (
	sqlDeleteEdges = `DELETE FROM network_edge`

	sqlLoadEdges = `
SELECT way_id, from_node, to_node, class, maxspeed_fwd, maxspeed_bwd, oneway, foot, motor, bridge, tunnel, ferry,
  duration_s, wait_share, length_m, ST_AsBinary(geom)
FROM network_edge
WHERE ($1::float8 IS NULL OR geom && ST_MakeEnvelope($1, $2, $3, $4, 4326))
ORDER BY id`

	sqlCountEdges = `SELECT count(*) FROM network_edge`

	sqlStageEdges = `
CREATE TEMP TABLE stage_network_edge (
  way_id bigint, from_node bigint, to_node bigint, class text, maxspeed_fwd real, maxspeed_bwd real, oneway smallint,
  foot boolean, motor boolean, bridge boolean, tunnel boolean, ferry boolean, duration_s float8, wait_share float8,
  length_m float8, source text, wkb bytea) ON COMMIT DROP`

	sqlInsertEdges = `
INSERT INTO network_edge (way_id, from_node, to_node, class, maxspeed_fwd, maxspeed_bwd, oneway, foot, motor, bridge, tunnel,
  ferry, duration_s, wait_share, length_m, source, geom)
SELECT way_id, from_node, to_node, class, maxspeed_fwd, maxspeed_bwd, oneway, foot, motor, bridge, tunnel,
  ferry, duration_s, wait_share, length_m, source, ST_GeomFromWKB(wkb, 4326)
FROM stage_network_edge`
)

var edgeColumns = []string{"way_id", "from_node", "to_node", "class", "maxspeed_fwd", "maxspeed_bwd", "oneway", "foot", "motor",
	"bridge", "tunnel", "ferry", "duration_s", "wait_share", "length_m", "source", "wkb"}
