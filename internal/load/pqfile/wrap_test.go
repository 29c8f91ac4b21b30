package pqfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Corrupt files give parquet.ErrCorrupted with the cause still reachable
// by errors.Is and errors.As.
func TestCorruptKeepsCause(t *testing.T) {
	// A page header cut after its first field's type.
	c := &chunkBytes{data: []byte{0x15}}
	err := c.checkPages(1, format.Uncompressed)
	if !errors.Is(err, parquet.ErrCorrupted) || !errors.Is(err, errShort) {
		t.Errorf("truncated page header: %v, want ErrCorrupted wrapping errShort", err)
	}

	// A zstd page that is not a zstd frame.
	var b pageBuffers
	var buf []byte
	_, err = b.decompress(nil, format.Zstd, &buf, []byte("not a zstd frame"), 4)
	if !errors.Is(err, parquet.ErrCorrupted) || !errors.Is(err, zstd.ErrMagicMismatch) {
		t.Errorf("bad zstd page: %v, want ErrCorrupted wrapping zstd.ErrMagicMismatch", err)
	}

	// A panic of the decoder: an error value is wrapped, any other value
	// is only printed.
	cause := errors.New("index out of range")
	err = func() (err error) {
		defer recoverCorrupt(&err)
		panic(cause)
	}()
	if !errors.Is(err, parquet.ErrCorrupted) || !errors.Is(err, cause) {
		t.Errorf("panic with an error: %v, want ErrCorrupted wrapping it", err)
	}
	err = func() (err error) {
		defer recoverCorrupt(&err)
		panic("bad page")
	}()
	if !errors.Is(err, parquet.ErrCorrupted) || !strings.HasSuffix(err.Error(), ": bad page") {
		t.Errorf("panic with a string: %v", err)
	}
}
