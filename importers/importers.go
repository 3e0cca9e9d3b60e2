// Package importers loads user files into PostGIS: each import reads and validates the
// whole file first (package parse), then writes in one transaction through the owning
// domain package's store, and reports what it did. Bad rows fail the import with their
// file:line:field unless the caller asks to skip them, in which case they go to a reject
// file. A re-import of the same file reports every row unchanged.
package importers

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"fangyuan/importers/parse"
	"fangyuan/internal/auth"
	"fangyuan/internal/db"
)

// Options are common to every import.
type Options struct {
	// SkipInvalid imports the good rows and writes the bad ones to RejectFile; without it
	// a single bad row fails the whole import and nothing is written.
	SkipInvalid bool
	// RejectFile is where rejected rows go (CSV: the original columns plus "error").
	RejectFile string
	// Encoding overrides the detected text encoding: utf-8, gbk or gb18030.
	Encoding string
	// Log receives progress and phase messages; nil for none.
	Log io.Writer
}

// Summary is what an import did.
type Summary struct {
	What       string        `json:"what"`
	Source     string        `json:"source"`
	Encoding   string        `json:"encoding,omitempty"`
	Read       int           `json:"read"`
	Rejected   int           `json:"rejected"`
	RejectFile string        `json:"reject_file,omitempty"`
	Warnings   []string      `json:"warnings,omitempty"`
	Duration   time.Duration `json:"-"`
	db.Changes
}

func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s from %s: %d read, %d inserted, %d updated, %d unchanged, %d rejected",
		s.What, s.Source, s.Read, s.Inserted, s.Updated, s.Unchanged, s.Rejected)
	if s.Retired > 0 {
		fmt.Fprintf(&b, ", %d retired", s.Retired)
	}
	if s.Encoding != "" {
		fmt.Fprintf(&b, " (%s)", s.Encoding)
	}
	fmt.Fprintf(&b, " in %.1fs", s.Duration.Seconds())
	if s.RejectFile != "" {
		fmt.Fprintf(&b, "\n  rejected rows written to %s", s.RejectFile)
	}
	for _, w := range s.Warnings {
		b.WriteString("\n  warning: " + w)
	}
	return b.String()
}

// RejectedError fails an import whose input has bad rows; nothing was written.
type RejectedError struct {
	Rejects []parse.Reject
	Hint    string
}

const maxListed = 20

func (e *RejectedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d invalid row(s); nothing was imported:", len(e.Rejects))
	for i, r := range e.Rejects {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Rejects)-maxListed)
			break
		}
		b.WriteString("\n  " + r.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString("\n" + e.Hint)
	}
	return b.String()
}

const skipHint = "fix the file, or pass --skip-invalid to import the good rows and write the bad ones to a reject file"

// handleRejects fails the import when there are rejects and they may not be skipped,
// else writes them to the reject file.
func handleRejects(opts Options, fields []string, rejects []parse.Reject, sum *Summary) error {
	sum.Rejected = len(rejects)
	if len(rejects) == 0 {
		return nil
	}
	if !opts.SkipInvalid {
		return &RejectedError{Rejects: rejects, Hint: skipHint}
	}
	if opts.RejectFile == "" {
		return fmt.Errorf("%d invalid row(s) to skip but no reject file given", len(rejects))
	}
	if err := writeRejects(opts.RejectFile, fields, rejects); err != nil {
		return err
	}
	sum.RejectFile = opts.RejectFile
	return nil
}

// writeRejects writes rejects as UTF-8 CSV: the original columns, then the reason.
func writeRejects(path string, fields []string, rejects []parse.Reject) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("reject file: %w", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(append(append([]string(nil), fields...), "error"))
	for _, r := range rejects {
		raw := append([]string(nil), r.Raw...)
		for len(raw) < len(fields) {
			raw = append(raw, "")
		}
		_ = w.Write(append(raw, r.Err.Error()))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("reject file: %w", err)
	}
	return f.Close()
}

// inTx runs fn in one transaction and records the import in the audit log. Every audit
// row the import writes, including those of bulk statements, carries the request id of
// ctx (a command-line run's "cli-..." id).
func inTx(ctx context.Context, pool *pgxpool.Pool, entity string, sum *Summary, fn func(pgx.Tx) error) error {
	// A national import's statements outlast the statement timeout of requests.
	ctx = db.WithStatementTimeout(ctx, db.LongStatementTimeout)
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := auth.BindRequestID(ctx, tx); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return auth.Record(ctx, tx, auth.Entry{Action: "import", Entity: entity, Key: sum.Source, Detail: sum})
	})
}

// phase logs the start of a phase of an import.
func phase(opts Options, format string, args ...any) {
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, format+"\n", args...)
	}
}

// counter returns a progress display for n items (n < 0: unknown) on a terminal, or
// nothing elsewhere.
func counter(opts Options, n int64, desc string) *progressbar.ProgressBar {
	f, ok := opts.Log.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(n, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

// HostFS opens files of the host by the paths the user typed (relative or absolute), so
// that error messages name files exactly as typed. It is an fs.FS for the readers; unlike
// os.DirFS it does not confine names to one directory, which is what a CLI wants.
type HostFS struct{}

// Open opens name on the host file system.
func (HostFS) Open(name string) (fs.File, error) { return os.Open(filepath.FromSlash(name)) }

// sortRejects orders rejects by their place in the file (reading and validation find
// them in separate passes).
func sortRejects(rs []parse.Reject) []parse.Reject {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].Err, rs[j].Err
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Feature < b.Feature
	})
	return rs
}
