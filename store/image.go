package store

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	_ "image/jpeg" // registers the decoders DecodeConfig checks uploads with
	_ "image/png"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

// MaxImageBytes is the largest product image accepted.
const MaxImageBytes = 5 << 20

// maxImageSide refuses images no product page needs, which could only slow browsers.
const maxImageSide = 8000

var (
	errImageTooLarge = Errorf(Invalid, "The image is larger than %d MB. Choose a smaller one.", MaxImageBytes>>20)
	errNotAnImage    = Errorf(Invalid, "This file is not a JPEG, PNG or WebP image.")
	errNoImage       = Errorf(Invalid, "Choose an image file to upload.")
)

// mediaName is the only shape of name /media/ serves: what saveImage writes.
var mediaName = regexp.MustCompile(`^products/[0-9a-f]{32}\.(jpg|png|webp)$`)

// uploadedImage reads the "image" file of a multipart form, at most MaxImageBytes.
func uploadedImage(c echo.Context) ([]byte, error) {
	r := c.Request()
	if r.MultipartForm == nil {
		// Nothing has read the body yet (a browser sending Sec-Fetch-Site passes the CSRF
		// check without the form being parsed): cap what is read from here on, since
		// the server-wide body limit skips this route.
		r.Body = http.MaxBytesReader(c.Response(), r.Body, MaxImageBytes+64<<10)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, errImageTooLarge
			}
			return nil, errNoImage
		}
	}
	files := r.MultipartForm.File["image"]
	if len(files) == 0 || files[0].Size == 0 {
		return nil, errNoImage
	}
	if files[0].Size > MaxImageBytes {
		return nil, errImageTooLarge
	}
	f, err := files[0].Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImageBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxImageBytes {
		return nil, errImageTooLarge
	}
	return data, nil
}

// imageExt says what data is, judged by its content and never by the file's name or the
// type the browser claims: "jpg", "png" or "webp", after checking that it parses as such.
func imageExt(data []byte) (string, error) {
	switch http.DetectContentType(data) {
	case "image/jpeg", "image/png":
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
			return "", errNotAnImage
		}
		if cfg.Width > maxImageSide || cfg.Height > maxImageSide {
			return "", Errorf(Invalid, "The image is larger than %d pixels on a side.", maxImageSide)
		}
		if format == "jpeg" {
			return "jpg", nil
		}
		return "png", nil
	case "image/webp":
		if isWebP(data) {
			return "webp", nil
		}
	}
	return "", errNotAnImage
}

// isWebP checks the RIFF container: "RIFF", its size, "WEBP", then a VP8 chunk. The
// standard library has no WebP decoder; this is as far as checking goes without one.
func isWebP(data []byte) bool {
	if len(data) < 20 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return false
	}
	size := binary.LittleEndian.Uint32(data[4:8])
	chunk := string(data[12:16])
	return size >= 12 && uint64(size)+8 <= uint64(len(data)) &&
		(chunk == "VP8 " || chunk == "VP8L" || chunk == "VP8X")
}

// saveImage writes data under dataDir/media/products with a random name, which is also
// what busts caches: a new image is a new URL. It returns the value for products.image.
func saveImage(dataDir string, data []byte, ext string) (string, error) {
	dir := filepath.Join(dataDir, "media", "products")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	name := hex.EncodeToString(b) + "." + ext
	// Written aside then renamed, so /media/ never serves half a file.
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return "media/products/" + name, nil
}

// removeImage deletes an uploaded image file; demo images (embedded) are left alone.
func removeImage(dataDir, image string) error {
	name, ok := strings.CutPrefix(image, "media/")
	if !ok || !mediaName.MatchString(name) {
		return nil
	}
	err := os.Remove(filepath.Join(dataDir, "media", filepath.FromSlash(name)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// MediaHandler serves uploaded images from DataDir/media for GET /media/*. Names are
// random and never reused, so browsers may keep them for a year. Only names saveImage
// could have written are served, through an os.Root: no listing, no way out of the folder.
func (a *Admin) MediaHandler() echo.HandlerFunc {
	return func(c echo.Context) error {
		name := path.Clean(c.Param("*"))
		if !mediaName.MatchString(name) {
			return Errorf(NotFound, "We could not find this image.")
		}
		root, err := os.OpenRoot(filepath.Join(a.DataDir, "media"))
		if errors.Is(err, os.ErrNotExist) {
			return Errorf(NotFound, "We could not find this image.")
		} else if err != nil {
			return err
		}
		defer root.Close()
		f, err := root.Open(name)
		if err != nil {
			return Errorf(NotFound, "We could not find this image.")
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return Errorf(NotFound, "We could not find this image.")
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
		http.ServeContent(c.Response(), c.Request(), name, st.ModTime(), f)
		return nil
	}
}
