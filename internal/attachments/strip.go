package attachments

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// errMalformed is an image the walker cannot follow.
var errMalformed = errors.New("malformed image")

// StripMetadata removes the metadata a photo carries about where, when
// and with what it was taken: from a JPEG every APP1 segment (Exif, XMP),
// APP13 (Photoshop/IPTC), comments and the other application segments but
// JFIF (APP0), ICC colour profiles (APP2) and Adobe's colour transform
// (APP14), and anything after the image's end (where phones append
// preview images with their own Exif); the Exif orientation is kept, as a
// new Exif segment holding that one tag, so the photo still shows upright.
// From a PNG the eXIf, tEXt, iTXt, zTXt and tIME chunks and anything after
// IEND. From a WebP the EXIF and XMP chunks (and their flags in VP8X) and
// anything after the RIFF container. Other types come back as they are.
func StripMetadata(mime string, data []byte) ([]byte, error) {
	switch mime {
	case "image/jpeg":
		return stripJPEG(data)
	case "image/png":
		return stripPNG(data)
	case "image/webp":
		return stripWebP(data)
	}
	return data, nil
}

// JPEG markers.
const (
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mAPP0 = 0xE0
	mAPP1 = 0xE1
	mAPP2 = 0xE2
	mAP14 = 0xEE
	mAP15 = 0xEF
	mCOM  = 0xFE
)

func stripJPEG(data []byte) ([]byte, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != mSOI {
		return nil, fmt.Errorf("jpeg: %w: no SOI", errMalformed)
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)))
	out.Write(data[:2])
	orientation := 0
	wroteOrientation := false
	i := 2
	for {
		// Fill bytes (0xFF) may precede a marker.
		if i >= len(data) || data[i] != 0xFF {
			return nil, fmt.Errorf("jpeg: %w: no marker at %d", errMalformed, i)
		}
		for i < len(data) && data[i] == 0xFF {
			i++
		}
		if i >= len(data) {
			return nil, fmt.Errorf("jpeg: %w: truncated", errMalformed)
		}
		m := data[i]
		i++
		switch {
		case m == mEOI:
			out.Write([]byte{0xFF, mEOI})
			return out.Bytes(), nil
		case m >= 0xD0 && m <= 0xD7, m == 0x01:
			// Standalone markers have no length.
			out.Write([]byte{0xFF, m})
			continue
		}
		if i+2 > len(data) {
			return nil, fmt.Errorf("jpeg: %w: truncated segment", errMalformed)
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return nil, fmt.Errorf("jpeg: %w: segment length %d at %d", errMalformed, n, i)
		}
		seg := data[i+2 : i+n]
		end := i + n
		keep := true
		switch {
		case m == mAPP1:
			if o := exifOrientation(seg); o != 0 && orientation == 0 {
				orientation = o
			}
			keep = false
		case m == mAPP2:
			keep = bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00"))
		case m == mAPP0, m == mAP14:
			keep = true
		case m > mAPP0 && m <= mAP15, m == mCOM:
			keep = false
		}
		if !keep {
			i = end
			continue
		}
		if !wroteOrientation && !(m >= mAPP0 && m <= mAP15) {
			// The kept orientation goes after the application segments,
			// before the tables and the frame, once every APPn is read.
			if orientation > 1 {
				out.Write(orientationSegment(orientation))
			}
			wroteOrientation = true
		}
		out.Write([]byte{0xFF, m})
		out.Write(data[i:end])
		i = end
		if m == mSOS {
			// Entropy-coded data runs to the next marker that is not a
			// stuffed 0xFF00 or a restart marker.
			j := i
			for {
				k := bytes.IndexByte(data[j:], 0xFF)
				if k < 0 {
					return nil, fmt.Errorf("jpeg: %w: scan without end", errMalformed)
				}
				j += k
				if j+1 >= len(data) {
					return nil, fmt.Errorf("jpeg: %w: scan without end", errMalformed)
				}
				nx := data[j+1]
				if nx == 0x00 || (nx >= 0xD0 && nx <= 0xD7) || nx == 0xFF {
					j++
					if nx != 0xFF {
						j++
					}
					continue
				}
				break
			}
			out.Write(data[i:j])
			i = j
		}
	}
}

// exifOrientation is the Orientation tag (0x0112) of an APP1 Exif
// segment's first IFD, 0 when it has none or is not Exif.
func exifOrientation(seg []byte) int {
	if !bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
		return 0
	}
	t := seg[6:]
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for e := 0; e < count; e++ {
		p := off + 2 + e*12
		if p+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[p:]) == 0x0112 && bo.Uint16(t[p+2:]) == 3 {
			o := int(bo.Uint16(t[p+8:]))
			if o >= 1 && o <= 8 {
				return o
			}
			return 0
		}
	}
	return 0
}

// orientationSegment is an APP1 Exif segment holding only an Orientation.
func orientationSegment(o int) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, mAPP1, 0, 0})
	b.WriteString("Exif\x00\x00")
	b.WriteString("MM\x00\x2A")
	b.Write([]byte{0, 0, 0, 8}) // IFD0 at 8
	b.Write([]byte{0, 1})       // one entry
	b.Write([]byte{0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0})
	b.Write([]byte{0, 0, 0, 0}) // no next IFD
	s := b.Bytes()
	binary.BigEndian.PutUint16(s[2:], uint16(len(s)-2))
	return s
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// pngDropped are the chunks that carry metadata.
var pngDropped = map[string]bool{"eXIf": true, "tEXt": true, "iTXt": true, "zTXt": true, "tIME": true}

func stripPNG(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, pngSignature) {
		return nil, fmt.Errorf("png: %w: no signature", errMalformed)
	}
	out := bytes.NewBuffer(make([]byte, 0, len(data)))
	out.Write(pngSignature)
	i := len(pngSignature)
	for {
		if i+8 > len(data) {
			return nil, fmt.Errorf("png: %w: no IEND", errMalformed)
		}
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		end := i + 12 + n
		if n < 0 || n > len(data) || end > len(data) {
			return nil, fmt.Errorf("png: %w: chunk %q length %d", errMalformed, typ, n)
		}
		if !pngDropped[typ] {
			out.Write(data[i:end])
		}
		i = end
		if typ == "IEND" {
			return out.Bytes(), nil
		}
	}
}

// VP8X flags of the metadata chunks.
const (
	webpFlagEXIF = 0x08
	webpFlagXMP  = 0x04
)

func stripWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, fmt.Errorf("webp: %w: no RIFF WEBP header", errMalformed)
	}
	end := 8 + int(binary.LittleEndian.Uint32(data[4:]))
	if end > len(data) || end < 12 {
		return nil, fmt.Errorf("webp: %w: RIFF size %d", errMalformed, end-8)
	}
	out := bytes.NewBuffer(make([]byte, 0, end))
	out.Write(data[:12])
	for i := 12; i < end; {
		if i+8 > end {
			return nil, fmt.Errorf("webp: %w: truncated chunk", errMalformed)
		}
		typ := string(data[i : i+4])
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		if n > end-i-8 {
			return nil, fmt.Errorf("webp: %w: chunk %q length %d", errMalformed, typ, n)
		}
		// A chunk of odd length is padded to even (the pad may be missing
		// at the very end).
		next := min(i+8+n+n%2, end)
		switch typ {
		case "EXIF", "XMP ":
		case "VP8X":
			c := bytes.Clone(data[i:next])
			if len(c) > 8 {
				c[8] &^= webpFlagEXIF | webpFlagXMP
			}
			out.Write(c)
		default:
			out.Write(data[i:next])
		}
		i = next
	}
	b := out.Bytes()
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b, nil
}
