package cockpits

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cohortcrm/cohort/internal/metrics"
)

// WriteXLSX writes a workbook of cockpit c: one worksheet per widget, in
// layout order, holding results[i] (widget i's answer): a title row, the
// period, a header of the dimensions and metrics (and, per comparison, the
// compared value and the change), a row per cell and the total. Money is in
// major units (yuan) with two decimals; ratios are fractions.
func WriteXLSX(out io.Writer, c *Cockpit, results []*metrics.Result, lang string) error {
	en := strings.HasPrefix(strings.ToLower(lang), "en")
	tr := func(zh, e string) string {
		if en {
			return e
		}
		return zh
	}
	f := excelize.NewFile()
	defer f.Close()
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	first := true
	for i, w := range c.Layout {
		res := results[i]
		name := sheetName(i, w.Title)
		if first {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
			first = false
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		row := 0
		put := func(cells []any) error {
			row++
			cell, _ := excelize.CoordinatesToCellName(1, row)
			return sw.SetRow(cell, cells)
		}
		title := w.Title
		if title == "" {
			title = c.Name
		}
		if err := put([]any{excelize.Cell{StyleID: bold, Value: title}}); err != nil {
			return err
		}
		if err := put([]any{tr("期间", "Period"), res.From, res.To}); err != nil {
			return err
		}
		var head []any
		for _, d := range res.Dimensions {
			head = append(head, excelize.Cell{StyleID: bold, Value: d})
		}
		for _, m := range res.Metrics {
			head = append(head, excelize.Cell{StyleID: bold, Value: m.Label})
			for _, cmp := range res.Compare {
				head = append(head, excelize.Cell{StyleID: bold, Value: m.Label + " (" + cmp.Name + ")"},
					excelize.Cell{StyleID: bold, Value: m.Label + " " + tr("变化率", "change") + " (" + cmp.Name + ")"})
			}
		}
		if err := put(head); err != nil {
			return err
		}
		value := func(m metrics.Column, v *float64) any {
			if v == nil {
				return nil
			}
			if m.Unit == metrics.UnitMoney {
				return excelize.Cell{StyleID: money, Value: *v / 100}
			}
			return *v
		}
		line := func(r metrics.Row, total bool) []any {
			var cells []any
			for j := range res.Dimensions {
				switch {
				case total && j == 0:
					cells = append(cells, tr("合计", "Total"))
				case total:
					cells = append(cells, nil)
				case r.Labels[j] != "":
					cells = append(cells, r.Labels[j])
				default:
					cells = append(cells, r.Keys[j])
				}
			}
			for _, m := range res.Metrics {
				cells = append(cells, value(m, r.Values[m.Name]))
				for _, cmp := range res.Compare {
					cells = append(cells, value(m, r.Compare[cmp.Name][m.Name]))
					if ch := r.Change[cmp.Name][m.Name]; ch != nil && ch.Rel != nil {
						cells = append(cells, *ch.Rel)
					} else {
						cells = append(cells, nil)
					}
				}
			}
			return cells
		}
		for _, r := range res.Rows {
			if err := put(line(r, false)); err != nil {
				return err
			}
		}
		if err := put(line(res.Total, true)); err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	if first {
		// An empty cockpit: one sheet saying so.
		if err := f.SetCellValue("Sheet1", "A1", c.Name); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	if err := f.Write(out); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// sheetName is widget i's worksheet name: its number and title, without
// the characters a sheet name may not hold, at most 31 characters.
func sheetName(i int, title string) string {
	title = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]'`, r) {
			return ' '
		}
		return r
	}, title)
	s := []rune(strings.TrimSpace(fmt.Sprintf("%d %s", i+1, title)))
	if len(s) > 31 {
		s = s[:31]
	}
	return string(s)
}
