// Package static holds the shop's CSS, scripts and images, embedded in the binary, and
// serves them under content-versioned URLs so browsers may cache them for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed css js img
var files embed.FS

// Assets maps file names to versioned URLs and serves the files.
type Assets struct {
	prefix  string
	version map[string]string // name → short content hash
	server  http.Handler
}

// New hashes every embedded file once; URLs are prefix + name + "?v=" + hash.
func New(prefix string) (*Assets, error) {
	a := &Assets{prefix: prefix, version: map[string]string{}}
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.version[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.server = http.StripPrefix(strings.TrimSuffix(prefix, "/"), http.FileServerFS(files))
	return a, nil
}

// URL is the versioned address of an embedded file, e.g. "css/shop.css".
func (a *Assets) URL(name string) string {
	if v, ok := a.version[name]; ok {
		return a.prefix + name + "?v=" + v
	}
	return a.prefix + name
}

// Has says whether name (e.g. "css/shop.css") is one of the embedded files.
func (a *Assets) Has(name string) bool {
	_, ok := a.version[name]
	return ok
}

// ServeHTTP serves a file; a request carrying the current version may be cached for a
// year, anything else only briefly, so a stale link never pins an old file.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, a.prefix)
	if v, ok := a.version[name]; ok && r.URL.Query().Get("v") == v {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	if strings.HasSuffix(name, "/") || name == "" {
		http.NotFound(w, r)
		return
	}
	a.server.ServeHTTP(w, r)
}
