package main

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The vocabulary: the 95 printable ASCII characters, tab and newline, and
// one token for every other byte (bytes of non-ASCII UTF-8, carriage
// returns, …), shown as '?' in samples.
const (
	vocab   = 98
	tabID   = 95
	lineID  = 96
	otherID = 97
)

func encode(b byte) uint8 {
	switch {
	case b >= 32 && b < 127:
		return b - 32
	case b == '\t':
		return tabID
	case b == '\n':
		return lineID
	}
	return otherID
}

func decode(id int) byte {
	switch {
	case id < 95:
		return byte(id + 32)
	case id == tabID:
		return '\t'
	case id == lineID:
		return '\n'
	}
	return '?'
}

// corpus is the text, encoded, split by file into training and validation
// streams (each the concatenation of its files).
type corpus struct {
	Train, Val           []uint8
	TrainFiles, ValFiles int
}

// readCorpus reads the .go files under root (skipping testdata
// directories), sorts their paths, shuffles them with a source seeded by
// seed and puts the first valFrac of them (at least one) into the
// validation set. At most maxBytes bytes of training text are read (0: no
// limit, and at least one file), taking the files in the shuffled order.
func readCorpus(root string, valFrac float64, seed uint64, maxBytes int64) (*corpus, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	var paths []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && d.Type().IsRegular() {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(paths) < 2 {
		return nil, fmt.Errorf("%s: %d .go files, need at least 2 (one to validate on)", root, len(paths))
	}
	slices.Sort(paths)
	rng := rand.New(rand.NewPCG(seed, 4))
	rng.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	nVal := max(1, int(valFrac*float64(len(paths))))
	c := &corpus{}
	var total int64
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if i >= nVal {
			if maxBytes > 0 && total+int64(len(b)) > maxBytes && c.TrainFiles > 0 {
				break
			}
			total += int64(len(b))
		}
		enc := make([]uint8, len(b))
		for j, x := range b {
			enc[j] = encode(x)
		}
		if i < nVal {
			c.Val = append(c.Val, enc...)
			c.ValFiles++
		} else {
			c.Train = append(c.Train, enc...)
			c.TrainFiles++
		}
	}
	return c, nil
}

// batch fills x and y with n windows of l tokens of s starting at offsets
// drawn from rng, y being x shifted by one token.
func batch(s []uint8, n, l int, rng *rand.Rand, x, y []int) {
	for i := range n {
		o := rng.IntN(len(s) - l)
		for j := range l {
			x[i*l+j] = int(s[o+j])
			y[i*l+j] = int(s[o+j+1])
		}
	}
}
