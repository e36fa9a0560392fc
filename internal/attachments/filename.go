package attachments

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameRunes is the longest display name kept, extension included.
const maxNameRunes = 120

// DisplayName is the name a file is shown and downloaded under: the last
// element of what the client sent (no directory, so no path traversal),
// without control, format (bidirectional overrides that disguise
// "gpj.exe" as "exe.jpg") or path-special characters, at most 120
// characters, and ending in the extension of the type its content shows
// (a PNG sent as "x.html" is "x.html.png"), so that opening the saved file
// never hands it to another program than its content's.
func DisplayName(given string, k Kind) string {
	given = strings.ToValidUTF8(given, "")
	if i := strings.LastIndexAny(given, `/\`); i >= 0 {
		given = given[i+1:]
	}
	var b strings.Builder
	for _, r := range given {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
		case strings.ContainsRune(`"*:<>?|%;`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name := strings.Trim(strings.TrimSpace(b.String()), ". ")
	if name == "" {
		name = "attachment"
	}
	ext := strings.ToLower(path.Ext(name))
	if k.Ext != "" && !sameExt(ext, k.Ext) {
		name += k.Ext
		ext = k.Ext
	}
	if r := []rune(name); len(r) > maxNameRunes {
		keep := maxNameRunes - utf8.RuneCountInString(ext)
		name = string(r[:keep]) + ext
	}
	return name
}

// sameExt says whether ext (".jpeg") names the type whose usual extension
// is want (".jpg").
func sameExt(ext, want string) bool {
	switch want {
	case ".jpg":
		return ext == ".jpg" || ext == ".jpeg" || ext == ".jfif"
	case ".heic", ".heif":
		return ext == ".heic" || ext == ".heif"
	case ".m4a":
		return ext == ".m4a" || ext == ".mp4" || ext == ".aac"
	}
	return ext == want
}

// ContentDisposition is the Content-Disposition header of a download: an
// attachment (never shown in place), with an ASCII fallback filename
// quoted safely and the real name in RFC 5987's filename* (RFC 6266), so
// no name can end the header, add a parameter or inject a header.
func ContentDisposition(name string) string {
	var ascii strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7E || r == '"' || r == '\\' || r == '%' || r == ';' {
			ascii.WriteByte('_')
			continue
		}
		ascii.WriteRune(r)
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii.String(), pathEscape5987(name))
}

// pathEscape5987 percent-encodes everything but RFC 5987's attr-char.
func pathEscape5987(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
