package sheet

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Cent is an amount in hundredths (fen) written as a decimal with two
// places (yuan): 12345 is "123.45".
type Cent int64

// Writer writes rows to a file being produced.
type Writer interface {
	// WriteRow writes one row. A cell is a string, an int or int64, a
	// float64, a Cent, or nil for an empty cell. Text cells are
	// neutralised (see Neutralise).
	WriteRow(cells []any) error
	// Close finishes the file; an xlsx workbook is written out only now.
	Close() error
}

// NewWriter returns a Writer of format to w. sheetName names an xlsx
// worksheet.
func NewWriter(w io.Writer, format, sheetName string) (Writer, error) {
	switch format {
	case CSV:
		return newCSVWriter(w)
	case XLSX:
		return newXLSXWriter(w, sheetName)
	}
	return nil, fmt.Errorf("sheet: unknown format %q", format)
}

type csvWriter struct {
	buf *bufio.Writer
	w   *csv.Writer
	rec []string
}

// newCSVWriter writes UTF-8 with a byte-order mark, which is how Excel
// recognises UTF-8 (without it Chinese text opens garbled), and CRLF line
// ends.
func newCSVWriter(w io.Writer) (*csvWriter, error) {
	buf := bufio.NewWriterSize(w, 64<<10)
	if _, err := buf.WriteString("\xEF\xBB\xBF"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(buf)
	cw.UseCRLF = true
	return &csvWriter{buf: buf, w: cw}, nil
}

func (c *csvWriter) WriteRow(cells []any) error {
	c.rec = c.rec[:0]
	for _, v := range cells {
		c.rec = append(c.rec, csvCell(v))
	}
	return c.w.Write(c.rec)
}

func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return Neutralise(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case Cent:
		return FormatCent(int64(x))
	}
	return Neutralise(fmt.Sprint(v))
}

// FormatCent writes hundredths as a decimal with two places.
func FormatCent(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}

// xlsxWriter streams rows into a worksheet with excelize's StreamWriter,
// which spools to a temporary file past 16 MB, so memory stays flat; the
// workbook is zipped to the output on Close.
type xlsxWriter struct {
	out   io.Writer
	f     *excelize.File
	sw    *excelize.StreamWriter
	row   int
	money int
	cells []any
}

func newXLSXWriter(w io.Writer, sheetName string) (*xlsxWriter, error) {
	f := excelize.NewFile()
	if sheetName == "" {
		sheetName = "Sheet1"
	}
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		f.Close()
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return &xlsxWriter{out: w, f: f, sw: sw, money: money}, nil
}

// WriteRow writes text as string cells (inline strings): a spreadsheet
// program shows a string cell as it is and never runs it as a formula, so
// xlsx needs no apostrophe; only cells written with a formula are run.
func (x *xlsxWriter) WriteRow(cells []any) error {
	x.row++
	x.cells = x.cells[:0]
	for _, v := range cells {
		switch c := v.(type) {
		case Cent:
			x.cells = append(x.cells, excelize.Cell{StyleID: x.money, Value: float64(c) / 100})
		default:
			x.cells = append(x.cells, v)
		}
	}
	name, _ := excelize.CoordinatesToCellName(1, x.row)
	return x.sw.SetRow(name, x.cells)
}

func (x *xlsxWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := x.f.Write(x.out); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}
