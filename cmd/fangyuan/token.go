package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"fangyuan/internal/auth"
)

const tokenUsage = `token create --role ROLE --name NAME [--ttl-days N] | token list | token revoke ID
roles: viewer, planner, names-editor, boundary-editor, admin`

func cmdToken(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: fangyuan %s", errUsage, tokenUsage)
	}
	// Audit rows of this run carry a "cli-..." request id (see auth.CLIContext).
	ctx = auth.CLIContext(ctx)
	switch args[0] {
	case "create":
		fs := newFlags("token create", "token create --role ROLE --name NAME [--ttl-days N]")
		role := fs.String("role", "", "viewer | planner | names-editor | boundary-editor | admin")
		name := fs.String("name", "", "user name the token belongs to (letters, digits, . _ @ -)")
		ttl := fs.Int64("ttl-days", 0, fmt.Sprintf("days until the token expires, 0 to %d (0: never)", auth.MaxTTLDays))
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		r, err := auth.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("%w: --role: %v", errUsage, err)
		}
		if *name == "" {
			return fmt.Errorf("%w: --name is required", errUsage)
		}
		if err := auth.CheckTokenRequest(*name, *ttl); err != nil {
			msg := strings.TrimPrefix(err.Error(), auth.ErrBadTokenRequest.Error()+": ")
			msg = strings.NewReplacer("name: ", "--name: ", "ttl_days: ", "--ttl-days: ").Replace(msg)
			return fmt.Errorf("%w: %s", errUsage, msg)
		}
		pool, err := openDB(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		secret, _, err := auth.NewStore(pool).CreateToken(ctx, *name, r, time.Duration(*ttl)*24*time.Hour)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		pool, err := openDB(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		toks, err := auth.NewStore(pool).ListTokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tROLE\tPREFIX\tCREATED\tSTATE")
		for _, t := range toks {
			state := "active"
			switch {
			case t.RevokedAt != nil:
				state = "revoked"
			case t.ExpiresAt != nil && t.ExpiresAt.Before(time.Now()):
				state = "expired"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s…\t%s\t%s\n", t.ID, t.User, t.Role, t.Prefix, t.CreatedAt.Format(time.DateTime), state)
		}
		return tw.Flush()
	case "revoke":
		if len(args) != 2 {
			return fmt.Errorf("%w: fangyuan token revoke ID", errUsage)
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: token id must be a number", errUsage)
		}
		pool, err := openDB(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		if err := auth.NewStore(pool).RevokeToken(ctx, id); err != nil {
			return fmt.Errorf("revoke token %d: %w", id, err)
		}
		fmt.Fprintf(stdout, "token %d revoked\n", id)
		return nil
	}
	return fmt.Errorf("%w: fangyuan %s", errUsage, tokenUsage)
}
