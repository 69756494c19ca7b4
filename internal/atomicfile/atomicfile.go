package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// Write writes the file at path atomically through write, which receives a
// buffered writer to a temporary file in path's directory. When write
// returns nil, the buffer is flushed, the temporary file gets its mode and
// is synced, it is renamed over path, and the directory is synced.
//
// A new file gets mode perm; a file that is replaced keeps its own mode (a
// symbolic link at path is replaced by the file, not followed). If write or
// any file-system step fails, Write removes the temporary file, leaves
// whatever was at path untouched, and returns the error, which the caller
// is expected to wrap with its own context.
func Write(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WriteBytes writes b to the file at path atomically, as Write does.
func WriteBytes(path string, perm os.FileMode, b []byte) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory;
// its file system makes the rename durable itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
