package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Reader yields the rows of a file one at a time.
type Reader interface {
	// Next advances to the next row; false at the end or on error.
	Next() bool
	// Row is the current row. It is valid until the next call of Next.
	Row() []string
	// Line is the current row's number in the file, from 1: what a user
	// sees in the spreadsheet's margin.
	Line() int
	Err() error
	Close() error
}

// Limits of what a reader accepts.
const (
	// maxUnzipped caps the unpacked size of a workbook, against zip bombs.
	maxUnzipped = 2 << 30
	// sniffBytes is how much of a CSV file decides its encoding.
	sniffBytes = 1 << 20
)

// Open opens the file at path as format (CSV or XLSX).
func Open(path, format string) (Reader, error) {
	switch format {
	case CSV:
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", format, err)
		}
		r, err := NewCSVReader(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		r.closer = f
		return r, nil
	case XLSX:
		return openXLSX(path)
	}
	return nil, fmt.Errorf("sheet: unknown format %q", format)
}

// CSVReader reads CSV in UTF-8 (with or without a byte-order mark) or GBK.
type CSVReader struct {
	r      *csv.Reader
	row    []string
	line   int
	err    error
	closer io.Closer
	// GBK reports whether the file was decoded from GBK/GB18030.
	GBK bool
}

// NewCSVReader reads CSV from r. The encoding is decided from the first
// megabyte: text that is not valid UTF-8 there is read as GB18030, the
// superset of GBK that Chinese Windows Excel saves "CSV" in. Rows may have
// any number of fields.
func NewCSVReader(r io.Reader) (*CSVReader, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	out := &CSVReader{}
	var src io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		_, _ = br.Discard(3)
	case !validUTF8Prefix(head, len(head) < sniffBytes):
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
		out.GBK = true
	}
	out.r = csv.NewReader(src)
	out.r.FieldsPerRecord = -1
	out.r.ReuseRecord = true
	// Spreadsheet programs write well-formed quoting, but hand-edited files
	// often hold a stray quote inside a field; take it as text.
	out.r.LazyQuotes = true
	return out, nil
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut off
// at the end of b when b is only the start of the file.
func validUTF8Prefix(b []byte, whole bool) bool {
	if !whole {
		for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
			if utf8.Valid(b) {
				return true
			}
			b = b[:len(b)-1]
		}
	}
	return utf8.Valid(b)
}

// Next implements Reader.
func (c *CSVReader) Next() bool {
	if c.err != nil {
		return false
	}
	row, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		c.err = corrupt(CSV, err)
		return false
	}
	c.line, _ = c.r.FieldPos(0)
	c.row = row
	return true
}

// Row implements Reader.
func (c *CSVReader) Row() []string { return c.row }

// Line implements Reader.
func (c *CSVReader) Line() int { return c.line }

// Err implements Reader.
func (c *CSVReader) Err() error { return c.err }

// Close implements Reader.
func (c *CSVReader) Close() error {
	if c.closer != nil {
		return c.closer.Close()
	}
	return nil
}

// xlsxReader reads the first worksheet of a workbook with excelize's
// streaming row iterator: worksheets larger than 16 MB unpacked are spooled
// to a temporary file and parsed as they are read, never held whole.
type xlsxReader struct {
	f    *excelize.File
	rows *excelize.Rows
	row  []string
	line int
	err  error
}

func openXLSX(path string) (*xlsxReader, error) {
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		return nil, corrupt(XLSX, err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, corrupt(XLSX, errors.New("the workbook has no worksheet"))
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, corrupt(XLSX, err)
	}
	return &xlsxReader{f: f, rows: rows}, nil
}

func (x *xlsxReader) Next() bool {
	if x.err != nil || !x.rows.Next() {
		if x.err == nil && x.rows.Error() != nil {
			x.err = corrupt(XLSX, x.rows.Error())
		}
		return false
	}
	x.line++
	// Raw values: dates arrive as serial numbers and numbers unformatted,
	// whatever the display format of the cell, so that parsing does not
	// depend on the locale of whoever saved the file.
	row, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		x.err = corrupt(XLSX, err)
		return false
	}
	x.row = row
	return true
}

func (x *xlsxReader) Row() []string { return x.row }
func (x *xlsxReader) Line() int     { return x.line }
func (x *xlsxReader) Err() error    { return x.err }

func (x *xlsxReader) Close() error {
	err := x.rows.Close()
	return errors.Join(err, x.f.Close())
}
