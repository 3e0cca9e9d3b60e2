package network

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Replace stores nw as the network (replacing the stored one) inside tx.
func Replace(ctx context.Context, tx pgx.Tx, nw *Network, source string) (int64, error) {
	if _, err := tx.Exec(ctx, sqlDeleteEdges); err != nil {
		return 0, fmt.Errorf("network: clearing: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlStageEdges); err != nil {
		return 0, fmt.Errorf("network: staging: %w", err)
	}
	rows := make([][]any, len(nw.Edges))
	for i := range nw.Edges {
		e := &nw.Edges[i]
		g, err := wkb.Marshal(e.Geom)
		if err != nil {
			return 0, err
		}
		rows[i] = []any{e.WayID, e.From, e.To, e.Class, float32(e.MaxspeedFwd), float32(e.MaxspeedBwd), int16(e.Oneway), e.Foot, e.Motor,
			e.Bridge, e.Tunnel, e.Ferry, e.DurationS, e.WaitShare, e.LengthM, source, g}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stage_network_edge"}, edgeColumns, pgx.CopyFromRows(rows)); err != nil {
		return 0, fmt.Errorf("network: storing edges: %w", err)
	}
	tag, err := tx.Exec(ctx, sqlInsertEdges)
	if err != nil {
		return 0, fmt.Errorf("network: storing edges: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Load reads the stored network; with bound not nil only the edges whose
// bounding box meets it.
func Load(ctx context.Context, pool *pgxpool.Pool, bound *orb.Bound) (*Network, error) {
	var args []any
	if bound != nil {
		args = []any{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}
	} else {
		args = []any{nil, nil, nil, nil}
	}
	rows, err := pool.Query(ctx, sqlLoadEdges, args...)
	if err != nil {
		return nil, fmt.Errorf("network: loading: %w", err)
	}
	defer rows.Close()
	nw := &Network{}
	for rows.Next() {
		var e Edge
		var fwd, bwd float32
		var oneway int16
		var g []byte
		if err := rows.Scan(&e.WayID, &e.From, &e.To, &e.Class, &fwd, &bwd, &oneway, &e.Foot, &e.Motor, &e.Bridge, &e.Tunnel, &e.Ferry,
			&e.DurationS, &e.WaitShare, &e.LengthM, &g); err != nil {
			return nil, fmt.Errorf("network: loading: %w", err)
		}
		geom, err := wkb.Unmarshal(g)
		if err != nil {
			return nil, fmt.Errorf("network: edge of way %d: %w", e.WayID, err)
		}
		ls, ok := geom.(orb.LineString)
		if !ok {
			return nil, fmt.Errorf("network: edge of way %d is a %s", e.WayID, geom.GeoJSONType())
		}
		e.Geom, e.MaxspeedFwd, e.MaxspeedBwd, e.Oneway = ls, float64(fwd), float64(bwd), int8(oneway)
		nw.Edges = append(nw.Edges, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("network: loading: %w", err)
	}
	if len(nw.Edges) == 0 {
		return nil, ErrNoNetwork
	}
	return nw, nil
}

// ErrNoNetwork: no road network is stored (import one with fangyuan import osm).
var ErrNoNetwork = fmt.Errorf("no road network is stored: import one with `fangyuan import osm FILE.osm.pbf`")
