package pqfile

import (
	"bytes"
	"fmt"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress"
	"hash/crc32"
	"math/bits"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// The pages of a column chunk are decoded here when their layout is one
// of the common ones (dictionary pages, v1 and v2 data pages; PLAIN,
// dictionary and DELTA encodings; levels in RLE), which covers what
// parquet-go, DuckDB, Spark and Arrow write: the page headers are read
// once (checkPages), not again through parquet-go's reflective Thrift
// decoder, and pages are decompressed and decoded into the chunk reader's
// buffers, reused from page to page and file to file. Anything else goes
// through parquet-go's pages (read).

// decodePages is false in tests that read every chunk through parquet-go.
var decodePages = true

// decodable reports whether readPages can decode the chunk loaded into c,
// a column chunk of l.
func (c *chunkBytes) decodable(l *leaf) bool {
	switch l.kind {
	case parquet.Int32, parquet.Int64, parquet.ByteArray:
	case parquet.FixedLenByteArray:
		if !l.uuid || l.size != 16 {
			return false
		}
	default:
		return false
	}
	if l.maxDef > 1 || parquet.LookupCompressionCodec(c.codec).String() == "UNSUPPORTED" {
		// Nested optional groups (the nested Kubernetes names) keep
		// parquet-go's reading of their levels.
		return false
	}
	for i := range c.pages {
		h := &c.pages[i]
		switch h.typ {
		case format.DictionaryPage:
			if h.encoding != format.Plain && h.encoding != format.PlainDictionary {
				return false
			}
		case format.DataPage:
			if h.defEnc != format.RLE && l.maxDef > 0 {
				return false
			}
		case format.DataPageV2:
			if h.repLen != 0 {
				return false
			}
		default:
			return false
		}
		if h.typ != format.DictionaryPage {
			switch h.encoding {
			case format.Plain, format.PlainDictionary, format.RLEDictionary,
				format.DeltaBinaryPacked, format.DeltaLengthByteArray, format.DeltaByteArray:
			default:
				return false
			}
		}
	}
	return true
}

// pageBuffers are a chunk reader's buffers for decoding pages.
type pageBuffers struct {
	raw     []byte // a decompressed data page
	dictRaw []byte // the decompressed dictionary page
	levels  []byte
	idx     []int32
	i32     []int32
	i64     []int64
	bytes   []byte
	offs    []uint32
	dBytes  []byte // dictionary values
	dOffs   []uint32
	dI32    []int32
	dI64    []int64
	zstd    *zstd.Decoder
}

// readPages decodes the pages of the chunk loaded (decodable) into column
// col of t.
func (r *chunkReader) readPages(t *table, col int, l *leaf) error {
	c := &r.chunk
	codec := parquet.LookupCompressionCodec(c.codec)
	b := &r.pb
	var dict *dictData
	for i := range c.pages {
		h := &c.pages[i]
		body := c.data[h.body : h.body+h.compressed]
		if h.hasCRC && crc32.ChecksumIEEE(body) != uint32(h.crc) {
			return fmt.Errorf("%w: page checksum mismatch", parquet.ErrCorrupted)
		}
		switch h.typ {
		case format.DictionaryPage:
			raw, err := b.decompress(codec, c.codec, &b.dictRaw, body, h.uncompressed)
			if err != nil {
				return err
			}
			v, err := b.decodeValues(l, format.Plain, raw, true)
			if err != nil {
				return err
			}
			dict = &dictData{values: v, n: int(h.values)} // a new identity for each dictionary
			continue
		}
		p := pageData{n: int(h.values)}
		var src []byte
		switch h.typ {
		case format.DataPageV2:
			levels := body[:h.defLen]
			src = body[h.defLen:]
			if !h.uncompressedV2 {
				var err error
				if src, err = b.decompress(codec, c.codec, &b.raw, src, h.uncompressed-int(h.defLen)); err != nil {
					return err
				}
			}
			if l.maxDef > 0 {
				var err error
				if p.levels, err = b.decodeLevels(levels, l.maxDef, p.n); err != nil {
					return err
				}
			}
		case format.DataPage:
			raw, err := b.decompress(codec, c.codec, &b.raw, body, h.uncompressed)
			if err != nil {
				return err
			}
			src = raw
			if l.maxDef > 0 {
				// Definition levels: a 4-byte length, then RLE.
				if len(src) < 4 {
					return errCorrupt
				}
				k := int(uint32(src[0]) | uint32(src[1])<<8 | uint32(src[2])<<16 | uint32(src[3])<<24)
				if k < 0 || k > len(src)-4 {
					return errCorrupt
				}
				if p.levels, err = b.decodeLevels(src[4:4+k], l.maxDef, p.n); err != nil {
					return err
				}
				src = src[4+k:]
			}
		}
		if p.levels != nil {
			p.nulls = p.n - bytes.Count(p.levels, []byte{l.maxDef})
		}
		switch h.encoding {
		case format.PlainDictionary, format.RLEDictionary:
			if dict == nil {
				return fmt.Errorf("%w: dictionary-encoded page without a dictionary", parquet.ErrCorrupted)
			}
			idx, err := parquet.LookupEncoding(format.RLEDictionary).DecodeInt32(b.idx[:0], src)
			if err != nil {
				return fmt.Errorf("%w: %w", parquet.ErrCorrupted, err)
			}
			b.idx = idx
			p.values, p.dict = encoding.Int32Values(idx), dict
		default:
			v, err := b.decodeValues(l, h.encoding, src, false)
			if err != nil {
				return err
			}
			p.values = v
		}
		if err := r.page(t, col, l, &p); err != nil {
			return err
		}
	}
	return nil
}

// decompress returns the body of a page decompressed into *buf (or the
// body itself when it is not compressed), which must be size bytes.
func (b *pageBuffers) decompress(codec compress.Codec, kind format.CompressionCodec, buf *[]byte, body []byte, size int) ([]byte, error) {
	if kind == format.Uncompressed {
		if len(body) != size {
			return nil, fmt.Errorf("%w: page of %d bytes, header says %d", parquet.ErrCorrupted, len(body), size)
		}
		return body, nil
	}
	var out []byte
	var err error
	if kind == format.Zstd {
		// A decoder of our own, which will not decode a page to more than
		// a page can hold (parquet-go's allows gigabytes).
		if b.zstd == nil {
			if b.zstd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxPageBytes)); err != nil {
				return nil, err
			}
		}
		out, err = b.zstd.DecodeAll(body, (*buf)[:0])
	} else {
		out, err = codec.Decode((*buf)[:0], body)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: decompress page: %w", parquet.ErrCorrupted, err)
	}
	*buf = out
	if len(out) != size {
		return nil, fmt.Errorf("%w: page decompresses to %d bytes, header says %d", parquet.ErrCorrupted, len(out), size)
	}
	return out, nil
}

// decodeLevels decodes the n definition levels of a page.
func (b *pageBuffers) decodeLevels(src []byte, maxDef byte, n int) ([]byte, error) {
	enc := rle.Encoding{BitWidth: bits.Len8(maxDef)}
	levels, err := enc.DecodeLevels(b.levels[:0], src)
	if err != nil {
		return nil, fmt.Errorf("%w: definition levels: %w", parquet.ErrCorrupted, err)
	}
	b.levels = levels
	if len(levels) < n {
		return nil, errCorrupt
	}
	return levels[:n], nil
}

// decodeValues decodes the values of a page of l's physical type, into
// the dictionary's buffers when dict is set.
func (b *pageBuffers) decodeValues(l *leaf, enc format.Encoding, src []byte, dict bool) (encoding.Values, error) {
	e := parquet.LookupEncoding(enc)
	var v encoding.Values
	var err error
	switch l.kind {
	case parquet.Int32:
		buf := &b.i32
		if dict {
			buf = &b.dI32
		}
		var out []int32
		if out, err = e.DecodeInt32((*buf)[:0], src); err == nil {
			*buf, v = out, encoding.Int32Values(out)
		}
	case parquet.Int64:
		buf := &b.i64
		if dict {
			buf = &b.dI64
		}
		var out []int64
		if out, err = e.DecodeInt64((*buf)[:0], src); err == nil {
			*buf, v = out, encoding.Int64Values(out)
		}
	case parquet.ByteArray:
		data, offs := &b.bytes, &b.offs
		if dict {
			data, offs = &b.dBytes, &b.dOffs
		}
		var d []byte
		var o []uint32
		if d, o, err = e.DecodeByteArray((*data)[:0], src, (*offs)[:0]); err == nil {
			*data, *offs, v = d, o, encoding.ByteArrayValues(d, o)
		}
	case parquet.FixedLenByteArray:
		data := &b.bytes
		if dict {
			data = &b.dBytes
		}
		var d []byte
		if d, err = e.DecodeFixedLenByteArray((*data)[:0], src, 16); err == nil {
			*data, v = d, encoding.FixedLenByteArrayValues(d, 16)
		}
	}
	if err != nil {
		return v, fmt.Errorf("%w: %w", parquet.ErrCorrupted, err)
	}
	return v, nil
}
