package service

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/sheet"
	"github.com/cohortcrm/cohort/internal/store"
)

// A goal sheet is a rule's grid as a workbook: the header row is
// "subject", "name", then one period key per column (FY2026-Q1, 2026-04,
// ...); each further row is a subject key, its name, and its values in
// the rule metric's unit (money in minor units). An empty cell leaves the
// value as it is.

const maxGoalSheetRows = 20000

// ExportGoalSheet writes rule's values for fiscal year fy in format (xlsx
// or csv) to w.
func (s *Service) ExportGoalSheet(ctx context.Context, ruleID cohort.ID, fy int, format string, w io.Writer) error {
	g, err := s.GoalGrid(ctx, ruleID, fy)
	if err != nil {
		return err
	}
	sw, err := sheet.NewWriter(w, format, "Goals")
	if err != nil {
		return err
	}
	head := []any{"subject", "name"}
	for _, p := range g.Periods {
		head = append(head, p.Key)
	}
	if err := sw.WriteRow(head); err != nil {
		return err
	}
	for _, sub := range g.Subjects {
		row := []any{sub.Key, sub.Label}
		for _, p := range g.Periods {
			if v := g.Cells[sub.Key][p.Key].Value; v != nil {
				row = append(row, *v)
			} else {
				row = append(row, nil)
			}
		}
		if err := sw.WriteRow(row); err != nil {
			return err
		}
	}
	return sw.Close()
}

// colName is a spreadsheet column's letters (0 = A).
func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// GoalSheetResult says what an import changed.
type GoalSheetResult struct {
	Rows    int `json:"rows"`
	Changed int `json:"changed"`
}

// ImportGoalSheet reads a goal sheet (the file at path, in format) into
// rule's values, all or nothing: a layout that does not match the rule, an
// unknown subject or period, or a cell that is not a valid target is a 422
// naming the cell, a locked period a 409, and then nothing changes.
func (s *Service) ImportGoalSheet(ctx context.Context, ruleID cohort.ID, path, format string) (*GoalSheetResult, error) {
	w, err := s.goalWriter(ctx, s.db.Read())
	if err != nil {
		return nil, err
	}
	rd, err := sheet.Open(path, format)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	res := &GoalSheetResult{}
	err = s.db.WriteTx(ctx, func(tx *store.Tx) error {
		gc, err := s.goalContext(ctx, tx, ruleID, nil)
		if err != nil {
			return err
		}
		var v cohort.Validation
		if !rd.Next() {
			if err := rd.Err(); err != nil {
				return err
			}
			return invalid("file", "the sheet is empty; export the grid for its layout")
		}
		head := slices.Clone(rd.Row())
		for len(head) > 0 && strings.TrimSpace(head[len(head)-1]) == "" {
			head = head[:len(head)-1]
		}
		if len(head) < 3 || strings.TrimSpace(head[0]) != "subject" || strings.TrimSpace(head[1]) != "name" {
			return invalid("file", "row 1 must be the grid's header: subject, name, then period keys (FY2026-Q1, 2026-04, ...)")
		}
		periods := make([]string, len(head))
		for i := 2; i < len(head); i++ {
			k := strings.TrimSpace(head[i])
			p, _, ok := gc.cal.parse(k)
			switch {
			case !ok || !slices.Contains(periodKinds(gc.rule.Cycle), p.Kind):
				v.Add(fmt.Sprintf("%s1", colName(i)), "%q is not a period of a %s rule", k, gc.rule.Cycle)
			case slices.Contains(periods, k):
				v.Add(fmt.Sprintf("%s1", colName(i)), "the period %s is named twice", k)
			}
			periods[i] = k
		}
		if err := v.Err(); err != nil {
			return err
		}
		var writes []goalWrite
		var named []goalTarget
		seen := map[string]int{}
		for rd.Next() {
			row := rd.Row()
			line := rd.Line()
			if len(row) == 0 || slices.IndexFunc(row, func(c string) bool { return strings.TrimSpace(c) != "" }) < 0 {
				continue
			}
			res.Rows++
			if res.Rows > maxGoalSheetRows {
				return invalid("file", "at most %d rows", maxGoalSheetRows)
			}
			sub := strings.TrimSpace(sheet.Unneutralise(row[0]))
			if !gc.tree.validSubject(gc.rule, sub) {
				v.Add(fmt.Sprintf("A%d", line), "%q is not a subject of this rule", sub)
				continue
			}
			if prev, dup := seen[sub]; dup {
				v.Add(fmt.Sprintf("A%d", line), "%s is on row %d already", sub, prev)
				continue
			}
			seen[sub] = line
			for i := 2; i < len(row); i++ {
				cell := strings.TrimSpace(row[i])
				if cell == "" {
					continue
				}
				if i >= len(head) {
					v.Add(fmt.Sprintf("%s%d", colName(i), line), "a value outside the header's periods")
					continue
				}
				x, msg := parseGoalNumber(strings.ReplaceAll(cell, ",", ""), gc.unit)
				if msg != "" {
					v.Add(fmt.Sprintf("%s%d", colName(i), line), "%s", msg)
					continue
				}
				writes = append(writes, goalWrite{sub, periods[i], x})
				named = append(named, goalTarget{fmt.Sprintf("%s%d", colName(i), line), writes[len(writes)-1]})
			}
		}
		if err := rd.Err(); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := w.check(gc, named); err != nil {
			return err
		}
		res.Changed, err = s.writeGoalCells(ctx, tx, gc, writes, "import")
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
