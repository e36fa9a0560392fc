package attachments

import (
	"github.com/gabriel-vasile/mimetype"
)

// Kind is the type a file's content shows.
type Kind struct {
	// MIME is the canonical media type ("image/jpeg"), served as the
	// download's Content-Type.
	MIME string
	// Name is a short name for the type in messages ("JPEG image",
	// or the detected media type of a refused file).
	Name string
	// Ext is the file name extension the type goes with (".jpg").
	Ext string
	// Inline says a browser may show it in place (images and PDF); the
	// download is still served as an attachment, sandboxed.
	Inline bool
}

// allowed are the types accepted, by the media type mimetype detects;
// anything else (HTML, SVG, scripts, executables, archives, office files,
// video) is refused. Aliases (audio/x-wav) are matched through
// mimetype's MIME.Is.
var allowed = []Kind{
	{MIME: "image/jpeg", Name: "JPEG image", Ext: ".jpg", Inline: true},
	{MIME: "image/png", Name: "PNG image", Ext: ".png", Inline: true},
	{MIME: "image/webp", Name: "WebP image", Ext: ".webp", Inline: true},
	{MIME: "image/heic", Name: "HEIC image", Ext: ".heic"},
	{MIME: "image/heif", Name: "HEIF image", Ext: ".heif"},
	{MIME: "application/pdf", Name: "PDF document", Ext: ".pdf", Inline: true},
	{MIME: "audio/mpeg", Name: "MP3 audio", Ext: ".mp3"},
	{MIME: "audio/x-m4a", Name: "M4A audio", Ext: ".m4a"},
	{MIME: "audio/mp4", Name: "MP4 audio", Ext: ".m4a"},
	{MIME: "audio/aac", Name: "AAC audio", Ext: ".aac"},
	{MIME: "audio/wav", Name: "WAV audio", Ext: ".wav"},
	{MIME: "audio/amr", Name: "AMR audio", Ext: ".amr"},
}

// Detect is the type of data by its content (never its name), and
// whether it is one accepted. A type not accepted comes back with Name
// the detected media type.
func Detect(data []byte) (Kind, bool) {
	mt := mimetype.Detect(data)
	for _, k := range allowed {
		if mt.Is(k.MIME) {
			return k, true
		}
	}
	return Kind{MIME: mt.String(), Name: mt.String(), Ext: mt.Extension()}, false
}

// AllowedTypes are the media types accepted.
func AllowedTypes() []string {
	out := make([]string, len(allowed))
	for i, k := range allowed {
		out[i] = k.MIME
	}
	return out
}

// KindOf is the accepted kind with media type m (Inline false for an
// unknown one).
func KindOf(m string) Kind {
	for _, k := range allowed {
		if k.MIME == m {
			return k
		}
	}
	return Kind{MIME: m}
}
