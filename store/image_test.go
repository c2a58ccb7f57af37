package store

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testPNG is a real, small PNG image.
func testPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testJPEG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testWebP is a RIFF/WEBP container with a lossless chunk header: what isWebP checks.
func testWebP() []byte {
	body := append([]byte("WEBPVP8L"), make([]byte, 12)...)
	binary.LittleEndian.PutUint32(body[8:], 5)
	out := append([]byte("RIFF"), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(body)))
	return append(out, body...)
}

func TestImageExt_JudgesByContent(t *testing.T) {
	var gifData bytes.Buffer
	gif.Encode(&gifData, image.NewPaletted(image.Rect(0, 0, 2, 2), []color.Color{color.Black, color.White}), nil)
	pngData := testPNG(t)
	huge := bytes.Clone(pngData)
	binary.BigEndian.PutUint32(huge[16:], 9000) // the IHDR width
	badRIFF := testWebP()
	binary.LittleEndian.PutUint32(badRIFF[4:], 1<<30)
	tests := []struct {
		name string
		data []byte
		want string // "" for refused
	}{
		{"png", pngData, "png"},
		{"jpeg", testJPEG(t), "jpg"},
		{"webp", testWebP(), "webp"},
		{"php script", []byte("<?php system($_GET['cmd']); ?>"), ""},
		{"php behind a jpeg signature", append([]byte("\xff\xd8\xff\xe0"), "<?php echo 1; ?>"...), ""},
		{"png signature only", pngData[:16], ""},
		{"html", []byte("<html><script>alert(1)</script></html>"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), ""},
		{"gif", gifData.Bytes(), ""},
		{"riff size beyond the file", badRIFF, ""},
		{"wave audio", append([]byte("RIFF\x04\x00\x00\x00WAVEfmt "), make([]byte, 8)...), ""},
		{"too many pixels", huge, ""},
	}
	for _, tt := range tests {
		got, err := imageExt(tt.data)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("%s: imageExt = %q, %v; want %q", tt.name, got, err, tt.want)
		}
		if err != nil && ErrorCode(err) != Invalid {
			t.Errorf("%s: error %v is not Invalid", tt.name, err)
		}
	}
}

func TestSaveImage_RandomNamesUnderTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	data := testPNG(t)
	a, err := saveImage(dir, data, "png")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := saveImage(dir, data, "png")
	name, _ := strings.CutPrefix(a, "media/")
	if a == b || !mediaName.MatchString(name) {
		t.Errorf("saved as %q then %q: want two different random names", a, b)
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(a)))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("stored file: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "media", "products"))
	if len(entries) != 2 {
		t.Errorf("%d files in the folder, want 2 (no temporary left)", len(entries))
	}
	if err := removeImage(dir, a); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(a))); !os.IsNotExist(err) {
		t.Errorf("removed image still there: %v", err)
	}
	if err := removeImage(dir, "img/products/mug.svg"); err != nil {
		t.Errorf("a demo image is not a file to remove: %v", err)
	}
}

func TestMediaHandler_ServesUploadsOnly(t *testing.T) {
	f := mustAdminFixture(t)
	dir := f.admin.DataDir
	data := testPNG(t)
	image, err := saveImage(dir, data, "png")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "shop.db"), []byte("secret database"), 0o600)
	os.WriteFile(filepath.Join(dir, "media", "notes.txt"), []byte("private"), 0o600)

	rec := f.do(http.MethodGet, "/"+image, nil, nil)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), data) {
		t.Fatalf("GET /%s: %d, %d bytes", image, rec.Code, rec.Body.Len())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "image/png" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control = %q, want a year, immutable", cc)
	}
	for _, path := range []string{
		"/media/", "/media/products/", "/media/products", "/media/notes.txt",
		"/media/../shop.db", "/media/products/../../shop.db", "/media/%2e%2e/shop.db", "/media/products/%2e%2e%2f%2e%2e%2fshop.db",
		"/media/products/00000000000000000000000000000000.png",
	} {
		rec := f.do(http.MethodGet, path, nil, nil)
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "private") {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
}
