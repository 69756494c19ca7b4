package run

import (
	"fmt"
	"io"

	"github.com/chainrule/chainrule/internal/atomicfile"
)

// WriteFile writes the file at path atomically: write fills a temporary
// file in the same directory, which is synced and renamed over path, and
// the directory is synced. If anything fails, path is left as it was and
// the error names it.
func WriteFile(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
