package attachments

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/complaint-handling/complaints/complaint"
)

// testImage is a small picture with some colour in it.
func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for x := 0; x < 16; x++ {
		for y := 0; y < 8; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), 80, 255})
		}
	}
	return img
}

// gpsLatitude is the latitude the test photos carry: 31°14'N, Shanghai,
// as three rationals; its bytes must not survive stripping.
var gpsLatitude = []byte{0, 0, 0, 31, 0, 0, 0, 1, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0x0B, 0xB8, 0, 0, 0, 100}

// exifWithGPS is an APP1 Exif segment (big-endian TIFF) with Orientation
// 6 and a GPS IFD holding GPSLatitudeRef "N" and GPSLatitude.
func exifWithGPS() []byte {
	var t bytes.Buffer
	t.WriteString("MM\x00\x2A")
	t.Write([]byte{0, 0, 0, 8})
	// IFD0 at 8: 2 entries (8+2+24+4 = 38), GPS IFD at 38: 2 entries
	// (38+2+24+4 = 68), latitude rationals at 68.
	t.Write([]byte{0, 2})
	t.Write([]byte{0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0})
	t.Write([]byte{0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38})
	t.Write([]byte{0, 0, 0, 0})
	t.Write([]byte{0, 2})
	t.Write([]byte{0x00, 0x01, 0, 2, 0, 0, 0, 2, 'N', 0, 0, 0})
	t.Write([]byte{0x00, 0x02, 0, 5, 0, 0, 0, 3, 0, 0, 0, 68})
	t.Write([]byte{0, 0, 0, 0})
	t.Write(gpsLatitude)
	return appSegment(mAPP1, append([]byte("Exif\x00\x00"), t.Bytes()...))
}

func appSegment(m byte, body []byte) []byte {
	s := []byte{0xFF, m, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(body)+2))
	return append(s, body...)
}

// photoWithGPS is a JPEG as a phone writes it: Exif with GPS right after
// SOI, an XMP packet, a comment, and a preview image with its own Exif
// appended after the end of the image.
func photoWithGPS(t *testing.T) []byte {
	t.Helper()
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, testImage(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	raw := enc.Bytes()
	var b bytes.Buffer
	b.Write(raw[:2])
	b.Write(exifWithGPS())
	b.Write(appSegment(mAPP1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>31,14N</exif:GPSLatitude></x:xmpmeta>")))
	b.Write(appSegment(mCOM, []byte("shot at Nanjing Road 100")))
	b.Write(raw[2:])
	b.Write([]byte{0xFF, mSOI})
	b.Write(exifWithGPS())
	b.Write([]byte{0xFF, mEOI})
	return b.Bytes()
}

func TestStripJPEGRemovesGPSAndKeepsOrientation(t *testing.T) {
	in := photoWithGPS(t)
	if !bytes.Contains(in, gpsLatitude) {
		t.Fatal("the test photo carries no GPS")
	}
	out, err := StripMetadata("image/jpeg", in)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range [][]byte{gpsLatitude, []byte("xmpmeta"), []byte("Nanjing"), {0x88, 0x25}} {
		if bytes.Contains(out, leak) {
			t.Errorf("the stripped photo still holds %q", leak)
		}
	}
	if bytes.Count(out, []byte("Exif\x00\x00")) != 1 {
		t.Errorf("want exactly the one orientation Exif segment, got %d", bytes.Count(out, []byte("Exif\x00\x00")))
	}
	seg := out[bytes.Index(out, []byte("Exif\x00\x00")):]
	if o := exifOrientation(seg); o != 6 {
		t.Errorf("orientation %d, want 6 kept", o)
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Errorf("the stripped photo does not decode: %v", err)
	}
	if !bytes.HasSuffix(out, []byte{0xFF, mEOI}) || bytes.Count(out, []byte{0xFF, mSOI}) != 1 {
		t.Error("the preview appended after the image's end was kept")
	}
	// A photo without Exif gets no orientation segment.
	var plain bytes.Buffer
	_ = jpeg.Encode(&plain, testImage(), nil)
	out, err = StripMetadata("image/jpeg", plain.Bytes())
	if err != nil || bytes.Contains(out, []byte("Exif")) {
		t.Errorf("plain JPEG: err %v, Exif added %v", err, bytes.Contains(out, []byte("Exif")))
	}
}

func pngChunk(typ string, data []byte) []byte {
	b := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(b, uint32(len(data)))
	copy(b[4:], typ)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func TestStripPNGRemovesTextAndExif(t *testing.T) {
	var enc bytes.Buffer
	if err := png.Encode(&enc, testImage()); err != nil {
		t.Fatal(err)
	}
	raw := enc.Bytes()
	iend := bytes.Index(raw, []byte("IEND")) - 4
	var b bytes.Buffer
	b.Write(raw[:iend])
	b.Write(pngChunk("tEXt", []byte("Comment\x00taken at home, 31.23N 121.47E")))
	b.Write(pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta/>")))
	b.Write(pngChunk("eXIf", exifWithGPS()[10:]))
	b.Write(raw[iend:])
	b.WriteString("trailing secrets")
	out, err := StripMetadata("image/png", b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"tEXt", "iTXt", "eXIf", "31.23N", "xmpmeta", "trailing secrets", string(gpsLatitude)} {
		if bytes.Contains(out, []byte(leak)) {
			t.Errorf("the stripped PNG still holds %q", leak)
		}
	}
	if _, err := png.Decode(bytes.NewReader(out)); err != nil {
		t.Errorf("the stripped PNG does not decode: %v", err)
	}
}

func riffChunk(typ string, data []byte) []byte {
	b := append([]byte(typ), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(data)))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func TestStripWebPRemovesExifAndXMP(t *testing.T) {
	var body bytes.Buffer
	body.WriteString("WEBP")
	body.Write(riffChunk("VP8X", []byte{webpFlagEXIF | webpFlagXMP, 0, 0, 0, 15, 0, 0, 7, 0, 0}))
	body.Write(riffChunk("VP8L", webpFile[20:]))
	body.Write(riffChunk("EXIF", exifWithGPS()[10:]))
	body.Write(riffChunk("XMP ", []byte("<x:xmpmeta>GPS 31.23N</x:xmpmeta>")))
	in := append([]byte("RIFF\x00\x00\x00\x00"), body.Bytes()...)
	binary.LittleEndian.PutUint32(in[4:], uint32(len(in)-8))
	in = append(in, "trailing"...)
	if k, ok := Detect(in); !ok || k.MIME != "image/webp" {
		t.Fatalf("the test WebP is detected as %q", k.MIME)
	}
	out, err := StripMetadata("image/webp", in)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"EXIF", "XMP ", "xmpmeta", string(gpsLatitude), "trailing"} {
		if bytes.Contains(out, []byte(leak)) {
			t.Errorf("the stripped WebP still holds %q", leak)
		}
	}
	if got := int(binary.LittleEndian.Uint32(out[4:])); got != len(out)-8 {
		t.Errorf("RIFF size %d, want %d", got, len(out)-8)
	}
	if flags := out[20]; flags&(webpFlagEXIF|webpFlagXMP) != 0 {
		t.Errorf("VP8X flags %#x still announce metadata", flags)
	}
	if !bytes.Contains(out, []byte("VP8L")) {
		t.Error("the image data was dropped")
	}
}

func TestStripRefusesDamagedImages(t *testing.T) {
	photo := photoWithGPS(t)
	for name, c := range map[string]struct {
		mime string
		data []byte
	}{
		"jpeg cut in a segment": {"image/jpeg", photo[:30]},
		"jpeg cut in the scan":  {"image/jpeg", photo[:len(photo)/2]},
		"jpeg bad length":       {"image/jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0}},
		"png without IEND":      {"image/png", append([]byte(pngSignature), pngChunk("IHDR", make([]byte, 13))...)},
		"png huge chunk":        {"image/png", append([]byte(pngSignature), 0x7F, 0xFF, 0xFF, 0xFF, 'I', 'D', 'A', 'T')},
		"webp huge chunk":       {"image/webp", []byte("RIFF\x14\x00\x00\x00WEBPVP8L\xff\xff\xff\x7f\x00\x00\x00\x00")},
		"webp not RIFF":         {"image/webp", []byte("RIFX\x04\x00\x00\x00WEBP")},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := StripMetadata(c.mime, c.data); !errors.Is(err, errMalformed) {
				t.Errorf("err %v, want malformed", err)
			}
		})
	}
}

// Minimal files of each kind, as their magic numbers show them.
var (
	pdfFile  = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	amrFile  = append([]byte("#!AMR\n"), make([]byte, 64)...)
	wavFile  = append([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"), make([]byte, 16)...)
	mp3File  = append([]byte{0xFF, 0xFB, 0x90, 0x64}, make([]byte, 400)...)
	m4aFile  = append([]byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00"), make([]byte, 32)...)
	webpFile = append([]byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"), make([]byte, 8)...)
)

func TestDetectByContentNotName(t *testing.T) {
	var pngb bytes.Buffer
	_ = png.Encode(&pngb, testImage())
	cases := []struct {
		name string
		data []byte
		want string
		ok   bool
	}{
		{"jpeg", photoWithGPS(t), "image/jpeg", true},
		{"png", pngb.Bytes(), "image/png", true},
		{"webp", webpFile, "image/webp", true},
		{"pdf", pdfFile, "application/pdf", true},
		{"amr call recording", amrFile, "audio/amr", true},
		{"wav", wavFile, "audio/wav", true},
		{"mp3", mp3File, "audio/mpeg", true},
		{"m4a", m4aFile, "audio/x-m4a", true},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "", false},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`), "", false},
		{"windows executable", append([]byte("MZ\x90\x00"), make([]byte, 100)...), "", false},
		{"elf", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...), "", false},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00"), "", false},
		{"plain text", []byte("just words"), "", false},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, ok := Detect(c.data)
			if ok != c.ok || (c.ok && k.MIME != c.want) {
				t.Errorf("Detect = %q, %v; want %q, %v", k.MIME, ok, c.want, c.ok)
			}
		})
	}
}

func TestDisplayName(t *testing.T) {
	jpg, pdf := KindOf("image/jpeg"), KindOf("application/pdf")
	cases := []struct {
		given string
		kind  Kind
		want  string
	}{
		{"IMG_0001.JPG", jpg, "IMG_0001.JPG"},
		{"photo.jpeg", jpg, "photo.jpeg"},
		{"../../etc/passwd", jpg, "passwd.jpg"},
		{`C:\Users\li\Desktop\收据.pdf`, pdf, "收据.pdf"},
		{"invoice.html", pdf, "invoice.html.pdf"},
		{"evil\u202egpj.exe", jpg, "evilgpj.exe.jpg"},
		{"a\r\nX-Evil: 1\r\n.jpg", jpg, "aX-Evil_ 1.jpg"},
		{"/var/www/index.html", pdf, "index.html.pdf"},
		{`x"; filename=evil.exe.pdf`, pdf, "x__ filename=evil.exe.pdf"},
		{"...", jpg, "attachment.jpg"},
		{"", pdf, "attachment.pdf"},
		{strings.Repeat("长", 300) + ".pdf", pdf, strings.Repeat("长", 116) + ".pdf"},
	}
	for _, c := range cases {
		t.Run(c.given, func(t *testing.T) {
			if got := DisplayName(c.given, c.kind); got != c.want {
				t.Errorf("DisplayName(%q) = %q, want %q", c.given, got, c.want)
			}
		})
	}
}

func TestContentDispositionCannotBeBroken(t *testing.T) {
	cases := []struct{ name, want string }{
		{"receipt.pdf", `attachment; filename="receipt.pdf"; filename*=UTF-8''receipt.pdf`},
		{"收据 1.pdf", `attachment; filename="__ 1.pdf"; filename*=UTF-8''%E6%94%B6%E6%8D%AE%201.pdf`},
		{`a"; filename="b.html`, `attachment; filename="a__ filename=_b.html"; filename*=UTF-8''a%22%3B%20filename%3D%22b.html`},
		{"a\r\nX-Evil: 1", `attachment; filename="a__X-Evil: 1"; filename*=UTF-8''a%0D%0AX-Evil%3A%201`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ContentDisposition(c.name)
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Error("line break in the header")
			}
		})
	}
}

// memBackend is a Backend in memory, with Postgres's limit checks.
type memBackend struct {
	mu      sync.Mutex
	records []Attachment
	content map[string][]byte
}

func (m *memBackend) Put(_ context.Context, a Attachment, content []byte, l Limits) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.records {
		if r.ID == a.ID {
			if r.CaseID == a.CaseID && r.SHA256 == a.SHA256 {
				return nil
			}
			return ErrConflict
		}
	}
	var n int
	var size int64
	for _, r := range m.records {
		if r.CaseID == a.CaseID && r.ScanStatus != ScanInfected {
			n++
			size += r.Size
		}
	}
	if n+1 > l.MaxFiles {
		return &FullError{Files: true}
	}
	if size+a.Size > l.CaseMaxBytes {
		return &FullError{}
	}
	m.records = append(m.records, a)
	if m.content == nil {
		m.content = map[string][]byte{}
	}
	m.content[a.ID] = content
	return nil
}

func (m *memBackend) Record(_ context.Context, a Attachment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records = append(m.records, a)
	return nil
}

func (m *memBackend) List(_ context.Context, caseID string) ([]Attachment, error) {
	var out []Attachment
	for _, r := range m.records {
		if r.CaseID == caseID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memBackend) Get(_ context.Context, caseID, id string) (Attachment, error) {
	for _, r := range m.records {
		if r.ID == id && r.CaseID == caseID {
			return r, nil
		}
	}
	return Attachment{}, ErrNotFound
}

func (m *memBackend) Open(_ context.Context, id string) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(m.content[id])), nil
}

func (m *memBackend) Delete(_ context.Context, caseID, id string) error { return nil }

func TestStoreChecksAndLimits(t *testing.T) {
	ctx := context.Background()
	pdf := func(n int) []byte { return append(append([]byte{}, pdfFile...), bytes.Repeat([]byte{'x'}, n)...) }
	svc := NewService(&memBackend{}, nil, Limits{MaxBytes: 1000, CaseMaxBytes: 2500, MaxFiles: 3}, slog.New(slog.DiscardHandler))
	cust := Uploader{Kind: UploaderCustomer}
	steps := []struct {
		name   string
		caseID string
		data   []byte
		status int
		code   string
	}{
		{"html refused", "a", []byte("<html><body>hi</body></html>"), http.StatusUnprocessableEntity, complaint.CodeFileTypeNotAllowed},
		{"empty refused", "a", nil, http.StatusUnprocessableEntity, complaint.CodeFileEmpty},
		{"over the file limit", "a", pdf(1000), http.StatusRequestEntityTooLarge, complaint.CodeFileTooLarge},
		{"far over the file limit", "a", pdf(1 << 20), http.StatusRequestEntityTooLarge, complaint.CodeFileTooLarge},
		{"first", "a", pdf(900), 0, ""},
		{"second", "a", pdf(900), 0, ""},
		{"over the case's bytes", "a", pdf(900), http.StatusRequestEntityTooLarge, complaint.CodeCaseFilesTooLarge},
		{"third, small", "a", pdf(10), 0, ""},
		{"over the case's files", "a", pdf(1), http.StatusUnprocessableEntity, complaint.CodeTooMany},
		{"another case has its own room", "b", pdf(900), 0, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			a, err := svc.Store(ctx, s.caseID, cust, "f.pdf", bytes.NewReader(s.data))
			var ref *Refused
			switch {
			case s.status == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case s.status == 0:
				if a.ContentType != "application/pdf" || len(a.SHA256) != 64 || a.ScanStatus != ScanNotScanned {
					t.Errorf("stored %+v", a)
				}
			case !errors.As(err, &ref):
				t.Fatalf("err %v, want refused", err)
			case ref.Status != s.status || ref.Problem.Code != s.code:
				t.Errorf("refused %d %s, want %d %s", ref.Status, ref.Problem.Code, s.status, s.code)
			}
		})
	}
	// A guessed id, or another case's, is not found.
	list, _ := svc.List(ctx, "b")
	if _, _, err := svc.Open(ctx, "a", list[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("case b's file through case a: %v", err)
	}
	if _, _, err := svc.Open(ctx, "a", "../../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a path for an id: %v", err)
	}
}
