package pqfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// parquet-go allocates what a page header claims (the page's compressed
// and uncompressed sizes, its value count) before it reads the page, so a
// corrupt header can make it allocate gigabytes. The reader therefore
// reads each column chunk into memory itself, checks every page header
// against the chunk and the row group, and hands parquet-go the checked
// bytes.

// maxPageBytes bounds one page's uncompressed size. Writers cut pages at
// a few megabytes (parquet-go 256 KiB, Spark and DuckDB about 1 MiB).
const maxPageBytes = 256 << 20

// chunkBytes serves a column chunk read into memory to parquet-go, at its
// offsets in the file.
type chunkBytes struct {
	base    int64
	data    []byte
	scratch []byte // LZ4 pages decoded to check them
	codec   format.CompressionCodec
	pages   []pageHeader // of the chunk loaded, in order
}

func (c *chunkBytes) ReadAt(p []byte, off int64) (int, error) {
	if off < c.base || off-c.base > int64(len(c.data)) {
		return 0, io.EOF
	}
	n := copy(p, c.data[off-c.base:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// loadChunk reads the bytes of a column chunk into c (reusing its buffer)
// and checks its page headers.
func (c *chunkBytes) load(r io.ReaderAt, size int64, md *format.ColumnMetaData, rows int64) error {
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	n := md.TotalCompressedSize
	if start < 4 || n < 0 || start > size || n > size-start {
		return fmt.Errorf("%w: chunk of %d bytes at %d in a file of %d", parquet.ErrCorrupted, n, start, size)
	}
	c.base = start
	c.data = grow(c.data, int(n))
	if _, err := r.ReadAt(c.data, start); err != nil && !(err == io.EOF && len(c.data) > 0) {
		return err
	}
	return c.checkPages(rows, md.Codec)
}

// checkPages walks the page headers of a column chunk: each page must fit
// in the chunk and be at most maxPageBytes uncompressed; a data page holds
// at most rows values (the chunk's column is not repeated), a dictionary
// at most one entry per byte. The compressed data must not claim more
// than the page: parquet-go's LZ4 decoder doubles its buffer for as long
// as a block does not decode, so LZ4 pages are decoded here first, and a
// zstd frame must not declare more content than the page.
func (c *chunkBytes) checkPages(rows int64, codec format.CompressionCodec) error {
	data := c.data
	c.codec, c.pages = codec, c.pages[:0]
	for off := 0; off < len(data); {
		h, n, err := readPageHeader(data[off:])
		if err != nil {
			return fmt.Errorf("%w: page header at chunk byte %d: %w", parquet.ErrCorrupted, off, err)
		}
		off += n
		switch {
		case h.compressed < 0 || h.compressed > len(data)-off:
			return fmt.Errorf("%w: page of %d bytes at chunk byte %d, %d left", parquet.ErrCorrupted, h.compressed, off, len(data)-off)
		case h.uncompressed < 0 || h.uncompressed > maxPageBytes:
			return fmt.Errorf("%w: page of %d bytes uncompressed", parquet.ErrCorrupted, h.uncompressed)
		case h.values < 0 || h.typ != format.DictionaryPage && h.values > rows || h.typ == format.DictionaryPage && h.values > int64(h.uncompressed):
			return fmt.Errorf("%w: page of %d values in a row group of %d rows", parquet.ErrCorrupted, h.values, rows)
		case h.levels < 0 || h.levels > int64(h.compressed) || h.levels > int64(h.uncompressed):
			return fmt.Errorf("%w: page levels of %d bytes in a page of %d", parquet.ErrCorrupted, h.levels, h.compressed)
		}
		if !h.uncompressedV2 {
			body, size := data[off+int(h.levels):off+h.compressed], h.uncompressed-int(h.levels)
			switch codec {
			case format.Lz4Raw:
				c.scratch = grow(c.scratch, size)
				if n, err := lz4.UncompressBlock(body, c.scratch); err != nil || n != size {
					return fmt.Errorf("%w: LZ4 page at chunk byte %d does not decode to its %d bytes", parquet.ErrCorrupted, off, size)
				}
			case format.Zstd:
				var zh zstd.Header
				if zh.Decode(body) == nil && zh.HasFCS && zh.FrameContentSize > uint64(size) {
					return fmt.Errorf("%w: zstd frame of %d bytes in a page of %d", parquet.ErrCorrupted, zh.FrameContentSize, size)
				}
			}
		}
		h.body = off
		c.pages = append(c.pages, h)
		off += h.compressed
	}
	return nil
}

type pageHeader struct {
	typ                      format.PageType
	uncompressed, compressed int
	values                   int64 // values of a data page, entries of a dictionary page
	levels                   int64 // v2 data pages: bytes of repetition and definition levels
	uncompressedV2           bool  // a v2 data page stored without compression

	encoding       format.Encoding // of the values
	defEnc, repEnc format.Encoding // v1 data pages: of the levels
	defLen, repLen int64           // v2 data pages: bytes of each kind of levels
	crc            int32
	hasCRC         bool
	body           int // offset of the page's body in the chunk
}

// readPageHeader decodes the fields of a Thrift compact PageHeader that
// size the page, skipping the others. It returns the header's length.
func readPageHeader(b []byte) (pageHeader, int, error) {
	var h pageHeader
	d := thriftReader{b: b}
	err := d.structFields(func(id int16, typ byte) error {
		switch {
		case id == 1 && typ == tI32:
			h.typ = format.PageType(d.varint())
		case id == 2 && typ == tI32:
			h.uncompressed = int(d.varint())
		case id == 3 && typ == tI32:
			h.compressed = int(d.varint())
		case id == 4 && typ == tI32:
			h.crc, h.hasCRC = int32(d.varint()), true
		case (id == 5 || id == 7 || id == 8) && typ == tStruct:
			return d.structFields(func(id2 int16, typ2 byte) error {
				switch {
				case id2 == 1 && typ2 == tI32:
					h.values = d.varint()
				case id == 8 && (id2 == 5 || id2 == 6) && typ2 == tI32:
					v := d.varint()
					h.levels += v
					if id2 == 5 {
						h.defLen = v
					} else {
						h.repLen = v
					}
				case id == 8 && id2 == 7 && (typ2 == tTrue || typ2 == tFalse):
					h.uncompressedV2 = typ2 == tFalse
				case (id == 5 || id == 7) && id2 == 2 && typ2 == tI32, id == 8 && id2 == 4 && typ2 == tI32:
					h.encoding = format.Encoding(d.varint())
				case id == 5 && id2 == 3 && typ2 == tI32:
					h.defEnc = format.Encoding(d.varint())
				case id == 5 && id2 == 4 && typ2 == tI32:
					h.repEnc = format.Encoding(d.varint())
				default:
					return d.skip(typ2, 0)
				}
				return nil
			})
		default:
			return d.skip(typ, 0)
		}
		return nil
	})
	if err == nil {
		err = d.err
	}
	return h, d.off, err
}

// Thrift compact protocol types.
const (
	tTrue   = 1
	tFalse  = 2
	tByte   = 3
	tI16    = 4
	tI32    = 5
	tI64    = 6
	tDouble = 7
	tBinary = 8
	tList   = 9
	tSet    = 10
	tMap    = 11
	tStruct = 12
)

// thriftReader reads the Thrift compact protocol, enough to skip what it does
// not need.
type thriftReader struct {
	b   []byte
	off int
	err error
}

var errShort = errors.New("truncated")

func (d *thriftReader) byte() byte {
	if d.off >= len(d.b) {
		d.err = errShort
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

func (d *thriftReader) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[min(d.off, len(d.b)):])
	if n <= 0 {
		d.err = errShort
		d.off = len(d.b)
		return 0
	}
	d.off += n
	return v
}

// varint reads a zigzag varint (i16, i32 and i64 alike).
func (d *thriftReader) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// structFields calls field for each field of a struct until its stop byte;
// field must consume the value.
func (d *thriftReader) structFields(field func(id int16, typ byte) error) error {
	var id int16
	for d.err == nil {
		h := d.byte()
		if h == 0 {
			return d.err
		}
		if delta := int16(h >> 4); delta != 0 {
			id += delta
		} else {
			id = int16(d.varint())
		}
		if err := field(id, h&0x0f); err != nil {
			return err
		}
	}
	return d.err
}

func (d *thriftReader) skip(typ byte, depth int) error {
	if depth > 32 {
		return errors.New("nested too deeply")
	}
	switch typ {
	case tTrue, tFalse:
	case tByte:
		d.byte()
	case tI16, tI32, tI64:
		d.uvarint()
	case tDouble:
		d.off += 8
	case tBinary:
		n := d.uvarint()
		if n > uint64(len(d.b)-min(d.off, len(d.b))) {
			return errShort
		}
		d.off += int(n)
	case tList, tSet:
		h := d.byte()
		n := uint64(h >> 4)
		if n == 15 {
			n = d.uvarint()
		}
		if n > uint64(len(d.b)) {
			return errShort
		}
		for i := uint64(0); i < n && d.err == nil; i++ {
			if err := d.skip(h&0x0f, depth+1); err != nil {
				return err
			}
		}
	case tMap:
		n := d.uvarint()
		if n == 0 {
			break
		}
		if n > uint64(len(d.b)) {
			return errShort
		}
		kv := d.byte()
		for i := uint64(0); i < n && d.err == nil; i++ {
			if err := d.skip(kv>>4, depth+1); err != nil {
				return err
			}
			if err := d.skip(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
	case tStruct:
		return d.structFields(func(_ int16, t byte) error { return d.skip(t, depth+1) })
	default:
		return fmt.Errorf("unknown field type %d", typ)
	}
	if d.off > len(d.b) {
		d.err = errShort
	}
	return d.err
}
