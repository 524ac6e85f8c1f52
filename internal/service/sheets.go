package service

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/sheet"
)

// The sheets of each importable object type. One table per type lists its
// columns: the header in Chinese and English, an example value, how a cell
// becomes a field on import (set) and a field a cell on export (get).
// Templates, imports and exports all read this one table, so a column
// cannot mean one thing in the template and another in the export.

// text is a user-visible string in both languages.
type text struct{ zh, en string }

func (t text) in(zh bool) string {
	if zh {
		return t.zh
	}
	return t.en
}

// Reasons a row is refused, as the error file says them.
var (
	msgRequired      = text{"必填", "is required"}
	msgBadPhone      = text{"不是有效的电话号码", "is not a valid phone number"}
	msgBadEmail      = text{"不是有效的邮箱地址", "is not a valid e-mail address"}
	msgBadCredit     = text{"不是有效的统一社会信用代码（18 位）", "is not a valid unified social credit code (18 characters)"}
	msgFormula       = text{"以 = + - @ 开头，电子表格会把它当作公式执行；若确为文本，请在开头加英文单引号 '", "starts like a spreadsheet formula (= + - @); if it is text, put an apostrophe ' in front"}
	msgBadText       = text{"含有无效字符（文件编码不对？）", "holds invalid characters (wrong file encoding?)"}
	msgTooLong       = text{"超过 %d 个字符", "is longer than %d characters"}
	msgNoUser        = text{"找不到该用户（请填邮箱或姓名）", "no such user (give an e-mail or name)"}
	msgManyUsers     = text{"有多个同名用户，请填邮箱", "several users have this name; give the e-mail"}
	msgUserDisabled  = text{"该用户已停用", "the user is disabled"}
	msgOutOfScope    = text{"不在你的数据权限范围内", "is outside your data scope"}
	msgDupRow        = text{"与本文件第 %d 行重复", "duplicates row %d of this file"}
	msgDupCustomer   = text{"与已有客户“%s”重复", "duplicates the existing customer %q"}
	msgDupTaken      = text{"已被已有记录使用", "is used by an existing record"}
	msgNoCustomer    = text{"找不到该客户（或不在你的权限范围内）", "no such customer (or not in your scope)"}
	msgManyCustomers = text{"匹配到多个客户，请填统一社会信用代码", "matches several customers; give the credit code"}
	msgBadDate       = text{"不是有效的日期（如 2026-01-31）", "is not a valid date (such as 2026-01-31)"}
	msgBadTime       = text{"不是有效的时间（如 2026-01-31 14:30）", "is not a valid time (such as 2026-01-31 14:30)"}
	msgFuture        = text{"不能晚于现在", "must not be in the future"}
	msgBadInt        = text{"必须是 0 到 %d 的整数", "must be a whole number from 0 to %d"}
	msgBadNumber     = text{"不是有效的数字", "is not a valid number"}
	msgBadMoney      = text{"不是有效的金额（元，最多两位小数）", "is not a valid amount (yuan, at most two decimals)"}
	msgBadChoice     = text{"必须是以下之一：%s", "must be one of: %s"}
	msgBadBool       = text{"必须是“是”或“否”", "must be yes or no"}
	msgInvalid       = text{"取值无效：%s", "is invalid: %s"}
	msgSaveFailed    = text{"保存失败（内部错误），请重试", "could not be saved (internal error); try again"}
	msgRowHeader     = text{"行号", "Row"}
	msgReasonHeader  = text{"错误原因", "Reason"}
)

// sheetCtx is what cells are read and written with: the language, the
// tenant's time zone and currency, and the people and departments that
// columns name.
type sheetCtx struct {
	zh       bool
	loc      *time.Location
	currency string
	now      time.Time
	users    *userIndex
	depts    map[cohort.ID]string
	deptByNm map[string][]cohort.ID
	// custom collects the custom-field values of the row being read.
	custom map[string]any
	// customers names customer ids on export (filled per page).
	customers map[cohort.ID]string
	// exists checks the record a lookup custom field names.
	exists func(obj cohort.ObjectType, id cohort.ID) bool
	// followUpTypes are the built-in follow-up types and the tenant's own;
	// ownTypes the keys of the latter.
	followUpTypes []option
	ownTypes      []string
}

// userIndex finds users by id, e-mail or name.
type userIndex struct {
	byID    map[cohort.ID]*cohort.User
	byEmail map[string]*cohort.User
	byName  map[string][]*cohort.User
}

func newUserIndex(users []*cohort.User) *userIndex {
	x := &userIndex{byID: map[cohort.ID]*cohort.User{}, byEmail: map[string]*cohort.User{}, byName: map[string][]*cohort.User{}}
	for _, u := range users {
		x.byID[u.ID] = u
		x.byEmail[strings.ToLower(u.Email)] = u
		x.byName[u.Name] = append(x.byName[u.Name], u)
	}
	return x
}

// find resolves an e-mail or a name to an active user.
func (x *userIndex) find(v string) (*cohort.User, *text) {
	u := x.byEmail[strings.ToLower(v)]
	if u == nil {
		switch us := x.byName[v]; len(us) {
		case 0:
			return nil, &msgNoUser
		case 1:
			u = us[0]
		default:
			return nil, &msgManyUsers
		}
	}
	if u.Status != cohort.UserActive {
		return nil, &msgUserDisabled
	}
	return u, nil
}

func (x *userIndex) name(id cohort.ID) string {
	if u := x.byID[id]; u != nil {
		return u.Name
	}
	return ""
}

// cellError is why one cell of a row is refused.
type cellError struct {
	msg  text
	args []any
}

func (e *cellError) say(zh bool) string { return fmt.Sprintf(e.msg.in(zh), e.args...) }

func fail(m text, args ...any) *cellError { return &cellError{msg: m, args: args} }

// column is one column of an object type's sheet.
type column[T any] struct {
	key     string
	label   text
	example string
	// required columns must have a value in every row.
	required bool
	// get returns the cell of record r: a string, int64, sheet.Cent or nil.
	get func(x *sheetCtx, r *T) any
	// set stores the trimmed, non-empty cell v into r; nil for columns that
	// are exported only (ids, status, times the server sets).
	set func(x *sheetCtx, r *T, v string) *cellError
}

// sheetSpec is the sheet of one object type.
type sheetSpec[T any] struct {
	obj  cohort.ObjectType
	name text // the worksheet's name
	cols []column[T]
	// custom points at a record's custom-field values; nil for types
	// without custom fields.
	custom func(r *T) *json.RawMessage
	fields []*cohort.CustomField
}

// withCustom appends a column per active custom field of the tenant.
func (s sheetSpec[T]) withCustom(fields []*cohort.CustomField) *sheetSpec[T] {
	out := s
	out.cols = append([]column[T](nil), s.cols...)
	if s.custom == nil {
		return &out
	}
	for _, f := range fields {
		if f.Active {
			out.fields = append(out.fields, f)
			out.cols = append(out.cols, customColumn(f, s.custom))
		}
	}
	return &out
}

// headers returns the header row, of the template's columns only when
// importable is set.
func (s *sheetSpec[T]) headers(zh, importable bool) []any {
	var out []any
	for _, c := range s.cols {
		if !importable || c.set != nil {
			out = append(out, c.label.in(zh))
		}
	}
	return out
}

// example returns the template's example row.
func (s *sheetSpec[T]) example() []any {
	var out []any
	for _, c := range s.cols {
		if c.set != nil {
			out = append(out, c.example)
		}
	}
	return out
}

func (s *sheetSpec[T]) row(x *sheetCtx, r *T) []any {
	out := make([]any, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.get(x, r)
	}
	return out
}

// normHeader is a header cell as matched: trimmed, lower-cased, without
// spaces, a byte-order mark or a required-mark asterisk.
func normHeader(h string) string {
	h = strings.TrimPrefix(h, "\uFEFF")
	h = strings.NewReplacer(" ", "", "\u3000", "", "*", "", "（", "(", "）", ")").Replace(strings.TrimSpace(h))
	return strings.ToLower(h)
}

// bind maps the columns of a file's header row to the spec's columns, by
// the Chinese or English header or the field key. Unknown or repeated
// headers and missing required columns are an error naming them all, in
// the uploader's language: a misspelt column would otherwise be dropped
// without a word.
func (s *sheetSpec[T]) bind(header []string, zh bool) ([]int, error) {
	byName := map[string]int{}
	for i, c := range s.cols {
		if c.set == nil {
			continue
		}
		for _, n := range []string{c.label.zh, c.label.en, c.key} {
			byName[normHeader(n)] = i
		}
	}
	// Export-only columns are accepted and ignored, so an export imports.
	ignore := map[string]bool{}
	for _, c := range s.cols {
		if c.set == nil {
			ignore[normHeader(c.label.zh)], ignore[normHeader(c.label.en)], ignore[normHeader(c.key)] = true, true, true
		}
	}
	out := make([]int, len(header))
	seen := map[int]bool{}
	var unknown, twice, missing []string
	for i, h := range header {
		n := normHeader(h)
		ci, ok := byName[n]
		switch {
		case n == "" || (!ok && ignore[n]):
			out[i] = -1
		case !ok:
			unknown = append(unknown, strings.TrimSpace(h))
			out[i] = -1
		case seen[ci]:
			twice = append(twice, strings.TrimSpace(h))
			out[i] = -1
		default:
			seen[ci] = true
			out[i] = ci
		}
	}
	for i, c := range s.cols {
		if c.required && !seen[i] {
			missing = append(missing, c.label.in(zh))
		}
	}
	var parts []string
	if len(unknown) > 0 {
		parts = append(parts, fmt.Sprintf(text{"未知的列：%s", "unknown columns: %s"}.in(zh), strings.Join(unknown, ", ")))
	}
	if len(twice) > 0 {
		parts = append(parts, fmt.Sprintf(text{"重复的列：%s", "repeated columns: %s"}.in(zh), strings.Join(twice, ", ")))
	}
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf(text{"缺少必填列：%s", "missing required columns: %s"}.in(zh), strings.Join(missing, ", ")))
	}
	if len(parts) > 0 {
		return nil, cohort.Errorf(cohort.EINVALID, "%s", strings.Join(parts, "; "))
	}
	return out, nil
}

// parse reads one row into a new record. It returns the reasons the row is
// refused, each naming its column, or none.
// isExample reports whether cells are the template's example row as
// downloaded: every bound column that has an example holds exactly it. Such a
// row is skipped by an import, so that a template imports as it comes.
func (s *sheetSpec[T]) isExample(bound []int, cells []string) bool {
	seen := 0
	for i, v := range cells {
		if i >= len(bound) || bound[i] < 0 {
			if strings.TrimSpace(v) != "" {
				return false
			}
			continue
		}
		c := s.cols[bound[i]]
		v = strings.TrimSpace(v)
		if c.example == "" {
			if v != "" {
				return false
			}
			continue
		}
		if v != c.example {
			return false
		}
		seen++
	}
	return seen > 0
}

func (s *sheetSpec[T]) parse(x *sheetCtx, bound []int, cells []string) (*T, []string) {
	r := new(T)
	var reasons []string
	say := func(c column[T], e *cellError) {
		reasons = append(reasons, c.label.in(x.zh)+": "+e.say(x.zh))
	}
	has := make([]bool, len(s.cols))
	x.custom = map[string]any{}
	for i, v := range cells {
		if i >= len(bound) || bound[i] < 0 {
			continue
		}
		c := s.cols[bound[i]]
		v = strings.TrimSpace(strings.ReplaceAll(v, "\x00", ""))
		if v == "" {
			continue
		}
		if !utf8.ValidString(v) {
			say(c, fail(msgBadText))
			continue
		}
		if un := sheet.Unneutralise(v); un != v {
			v = un // the apostrophe said: this is text
		} else if looksLikeFormula(v) {
			say(c, fail(msgFormula))
			continue
		}
		has[bound[i]] = true
		if e := c.set(x, r, v); e != nil {
			say(c, e)
		}
	}
	for i, c := range s.cols {
		if c.required && !has[i] {
			say(c, fail(msgRequired))
		}
	}
	if s.custom != nil && len(reasons) == 0 && len(s.fields) == 0 {
		*s.custom(r) = json.RawMessage("{}") // nothing declared: nothing to check
	} else if s.custom != nil && len(reasons) == 0 {
		raw, _ := json.Marshal(x.custom)
		checked, _, err := cohort.CheckCustom(s.fields, raw)
		if err != nil {
			reasons = append(reasons, s.customReasons(x, err)...)
		} else {
			*s.custom(r) = checked
		}
	}
	return r, reasons
}

// customReasons turns CheckCustom's field errors into reasons naming the
// field's column.
func (s *sheetSpec[T]) customReasons(x *sheetCtx, err error) []string {
	ce, ok := err.(*cohort.Error)
	if !ok || len(ce.Fields) == 0 {
		return []string{fail(msgInvalid, err.Error()).say(x.zh)}
	}
	var out []string
	for _, fe := range ce.Fields {
		label := fe.Field
		for _, f := range s.fields {
			if "custom."+f.Key == fe.Field {
				label = text{f.LabelZh, f.LabelEn}.in(x.zh)
				if fe.Message == "is required" {
					out = append(out, label+": "+msgRequired.in(x.zh))
					label = ""
				}
			}
		}
		if label != "" {
			out = append(out, label+": "+fail(msgInvalid, fe.Message).say(x.zh))
		}
	}
	return out
}

// looksLikeFormula reports whether a cell would run as a formula in a
// spreadsheet program. A leading + or - followed only by digits and phone
// punctuation is a number or a phone number, not a formula.
func looksLikeFormula(v string) bool {
	switch v[0] {
	case '=', '@':
		return true
	case '+', '-':
		return strings.TrimLeft(v[1:], "0123456789 -().") != ""
	}
	return false
}

// --- cell readers and writers shared by the tables

// textCol is a plain text column of at most max characters.
func textCol[T any](key string, label text, example string, max int, field func(r *T) *string) column[T] {
	return column[T]{key: key, label: label, example: example,
		get: func(_ *sheetCtx, r *T) any { return *field(r) },
		set: func(_ *sheetCtx, r *T, v string) *cellError {
			if utf8.RuneCountInString(v) > max {
				return fail(msgTooLong, max)
			}
			*field(r) = v
			return nil
		}}
}

// option is one choice of a choice column.
type option struct{ key, zh, en string }

func choiceCol[T any](key string, label text, example string, opts []option, field func(r *T) *string) column[T] {
	return choiceColOf(key, label, example, func(*sheetCtx) []option { return opts }, field)
}

// choiceColOf is a choice column whose options depend on the tenant.
func choiceColOf[T any](key string, label text, example string, options func(x *sheetCtx) []option, field func(r *T) *string) column[T] {
	return column[T]{key: key, label: label, example: example,
		get: func(x *sheetCtx, r *T) any {
			for _, o := range options(x) {
				if o.key == *field(r) {
					return text{o.zh, o.en}.in(x.zh)
				}
			}
			return *field(r)
		},
		set: func(x *sheetCtx, r *T, v string) *cellError {
			opts := options(x)
			for _, o := range opts {
				if strings.EqualFold(v, o.key) || v == o.zh || strings.EqualFold(v, o.en) ||
					slices.ContainsFunc(choiceAliases[o.key], func(a string) bool { return strings.EqualFold(v, a) }) {
					*field(r) = o.key
					return nil
				}
			}
			var names []string
			for _, o := range opts {
				names = append(names, text{o.zh, o.en}.in(x.zh))
			}
			return fail(msgBadChoice, strings.Join(names, ", "))
		}}
}

// userCol names a user by e-mail or name on import and by name on export.
func userCol[T any](key string, label text, example string, field func(r *T) *cohort.ID) column[T] {
	return column[T]{key: key, label: label, example: example,
		get: func(x *sheetCtx, r *T) any { return x.users.name(*field(r)) },
		set: func(x *sheetCtx, r *T, v string) *cellError {
			u, m := x.users.find(v)
			if m != nil {
				return fail(*m)
			}
			*field(r) = u.ID
			return nil
		}}
}

func timeCol[T any](key string, label text, field func(r *T) time.Time) column[T] {
	return column[T]{key: key, label: label, get: func(x *sheetCtx, r *T) any {
		if t := field(r); !t.IsZero() {
			return t.In(x.loc).Format("2006-01-02 15:04")
		}
		return nil
	}}
}

var (
	dateLayouts = []string{"2006-01-02", "2006/01/02", "2006-1-2", "2006/1/2", "2006.1.2", "2006年1月2日", "20060102"}
	timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006-1-2 15:04:05",
		"2006-1-2 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"}
	excelSerial = regexp.MustCompile(`^\d{4,5}(\.\d+)?$`)
)

// excelEpoch is day 0 of Excel's serial dates (1899-12-30, which absorbs
// Excel's phantom 1900-02-29).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseTime reads a date and time in the tenant's zone: the usual written
// forms, RFC 3339, or an Excel serial number (what a date cell of a
// workbook holds).
func parseTime(v string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), true
	}
	for _, l := range append(timeLayouts, dateLayouts...) {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t.UTC(), true
		}
	}
	if excelSerial.MatchString(v) {
		f, _ := strconv.ParseFloat(v, 64)
		days := math.Floor(f)
		secs := math.Round((f - days) * 86400)
		d := excelEpoch.AddDate(0, 0, int(days))
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, int(secs), 0, loc).UTC(), true
	}
	return time.Time{}, false
}

// parseDate reads a date as YYYY-MM-DD.
func parseDate(v string, loc *time.Location) (string, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	if excelSerial.MatchString(v) {
		t, _ := parseTime(v, loc)
		return t.In(loc).Format(time.DateOnly), true
	}
	return "", false
}

var moneyText = regexp.MustCompile(`^-?\d+(\.\d{1,2})?$`)

// parseCent reads an amount in yuan into fen: at most two decimals, with
// an optional currency sign and thousands separators.
func parseCent(v string) (int64, bool) {
	v = strings.NewReplacer("¥", "", "￥", "", ",", "", "，", "", " ", "").Replace(v)
	if moneyText.MatchString(v) {
		neg := strings.HasPrefix(v, "-")
		v = strings.TrimPrefix(v, "-")
		whole, frac, _ := strings.Cut(v, ".")
		w, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || w > math.MaxInt64/100-1 {
			return 0, false
		}
		f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
		n := w*100 + f
		if neg {
			n = -n
		}
		return n, true
	}
	// A workbook's number cell may carry binary noise (12.3 as
	// 12.300000000000001); accept it when it is two decimals within 1e-6.
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e15 {
		return 0, false
	}
	n := math.Round(f * 100)
	if math.Abs(f*100-n) > 1e-6 {
		return 0, false
	}
	return int64(n), true
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "是", "yes", "y", "true", "1", "√", "✓":
		return true, true
	case "否", "no", "n", "false", "0", "×":
		return false, true
	}
	return false, false
}

func boolText(b, zh bool) string {
	switch {
	case b && zh:
		return "是"
	case b:
		return "yes"
	case zh:
		return "否"
	}
	return "no"
}

// customColumn reads and writes one custom field: the cell in the form a
// person types (yuan for money, names for people and departments, options
// separated by commas), the value as CheckCustom wants it.
func customColumn[T any](f *cohort.CustomField, custom func(r *T) *json.RawMessage) column[T] {
	example := map[string]string{cohort.CFText: "…", cohort.CFNumber: "12", cohort.CFMoney: "1000.00", cohort.CFDate: "2026-01-31",
		cohort.CFBoolean: "是"}[f.Type]
	if len(f.Options) > 0 {
		example = f.Options[0]
	}
	return column[T]{key: "custom." + f.Key, label: text{f.LabelZh, f.LabelEn}, example: example, required: f.Required,
		get: func(x *sheetCtx, r *T) any {
			var vals map[string]json.RawMessage
			if json.Unmarshal(*custom(r), &vals) != nil || vals[f.Key] == nil {
				return nil
			}
			raw := vals[f.Key]
			switch f.Type {
			case cohort.CFMoney:
				var n int64
				_ = json.Unmarshal(raw, &n)
				return sheet.Cent(n)
			case cohort.CFNumber:
				var n float64
				_ = json.Unmarshal(raw, &n)
				return n
			case cohort.CFBoolean:
				var b bool
				_ = json.Unmarshal(raw, &b)
				return boolText(b, x.zh)
			case cohort.CFMulti:
				var ss []string
				_ = json.Unmarshal(raw, &ss)
				return strings.Join(ss, ", ")
			case cohort.CFUser:
				var id cohort.ID
				_ = json.Unmarshal(raw, &id)
				return x.users.name(id)
			case cohort.CFDepartment:
				var id cohort.ID
				_ = json.Unmarshal(raw, &id)
				return x.depts[id]
			}
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s
			}
			return string(raw)
		},
		set: func(x *sheetCtx, r *T, v string) *cellError {
			switch f.Type {
			case cohort.CFText, cohort.CFSingle, cohort.CFDate:
				if f.Type == cohort.CFDate {
					d, ok := parseDate(v, x.loc)
					if !ok {
						return fail(msgBadDate)
					}
					v = d
				}
				x.custom[f.Key] = v
			case cohort.CFNumber:
				n, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
				if err != nil {
					return fail(msgBadNumber)
				}
				x.custom[f.Key] = n
			case cohort.CFMoney:
				n, ok := parseCent(v)
				if !ok {
					return fail(msgBadMoney)
				}
				x.custom[f.Key] = n
			case cohort.CFBoolean:
				b, ok := parseBool(v)
				if !ok {
					return fail(msgBadBool)
				}
				x.custom[f.Key] = b
			case cohort.CFMulti:
				var ss []string
				for _, p := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",，;；、", r) }) {
					if p = strings.TrimSpace(p); p != "" {
						ss = append(ss, p)
					}
				}
				x.custom[f.Key] = ss
			case cohort.CFUser:
				u, m := x.users.find(v)
				if m != nil {
					return fail(*m)
				}
				x.custom[f.Key] = u.ID
			case cohort.CFDepartment:
				ids := x.deptByNm[v]
				if len(ids) != 1 {
					return fail(msgInvalid, v)
				}
				x.custom[f.Key] = ids[0]
			default: // a lookup: the record's id
				id, err := cohort.ParseID(v)
				if err != nil || x.exists == nil || !x.exists(f.LookupType, id) {
					return fail(msgInvalid, v)
				}
				x.custom[f.Key] = id
			}
			return nil
		}}
}
