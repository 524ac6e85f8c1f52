package api_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/sheet"
	"github.com/cohortcrm/cohort/internal/store"
)

// Import benchmarks at the sizes the issue names. They take minutes, so
// they run only when asked:
//
//	COHORT_BENCH_IMPORT=1 COHORT_TEST_POSTGRES=... go test ./internal/api/ -run '^$' \
//	    -bench 'Import' -benchtime 1x -timeout 30m
//
// COHORT_BENCH_ROWS scales the row counts down (e.g. 10000) for a quick run.
// Each reports rows/s and the process's peak resident memory (VmHWM), read
// after the file was generated and again after the import.

func benchRows(b *testing.B, def int) int {
	if os.Getenv("COHORT_BENCH_IMPORT") == "" {
		b.Skip("set COHORT_BENCH_IMPORT=1 to run the import benchmarks")
	}
	if n, err := strconv.Atoi(os.Getenv("COHORT_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return def
}

// peakRSS is the process's peak resident set size in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// benchImport uploads path through the service as the admin and works it.
func benchImport(b *testing.B, e *env, object, path string, rows int) {
	runtime.GC()
	before := peakRSS()
	took := timedImport(b, e, object, path, rows)
	b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
	b.ReportMetric(took.Seconds(), "s")
	b.ReportMetric(before, "MiB-RSS-before")
	b.ReportMetric(peakRSS(), "MiB-RSS-peak")
}

// timedImport uploads path as the admin, works it, checks that all its rows
// were written and returns how long that took.
func timedImport(b *testing.B, e *env, object, path string, rows int) time.Duration {
	ctx := context.Background()
	_, p, err := e.svc.Login(ctx, "admin@acme.test", adminPassword, "")
	if err != nil {
		b.Fatal(err)
	}
	ctx = cohort.NewContext(ctx, p)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	imp, err := e.svc.StartImport(ctx, service.Upload{Object: cohort.ObjectType(object), FileName: filepath.Base(path), Body: f})
	if err != nil {
		b.Fatal(err)
	}
	e.runJobs()
	took := time.Since(start)
	got, err := e.svc.FindImport(ctx, imp.ID)
	if err != nil {
		b.Fatal(err)
	}
	if got.Status != cohort.ImportDone || got.RowsOK != int64(rows) {
		b.Fatalf("import %+v", got)
	}
	return took
}

// writeCSV writes a CSV file of rows made by row.
func writeCSV(b *testing.B, path string, header []string, rows int, row func(i int) []string) string {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	cw := csv.NewWriter(bw)
	_ = cw.Write(header)
	for i := 0; i < rows; i++ {
		_ = cw.Write(row(i))
	}
	cw.Flush()
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path
}

func BenchmarkImportCustomersXLSX(b *testing.B) {
	n := benchRows(b, 100_000)
	path := filepath.Join(b.TempDir(), "customers.xlsx")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, _ := sheet.NewWriter(out, sheet.XLSX, "客户")
	_ = w.WriteRow([]any{"客户名称", "行业", "省份", "城市", "来源", "等级", "预计金额（元）", "负责人"})
	provinces := []string{"上海", "浙江", "江苏", "广东", "北京", "四川"}
	for i := 0; i < n; i++ {
		_ = w.WriteRow([]any{fmt.Sprintf("星河%d号科技有限公司", i), "软件和信息技术服务", provinces[i%len(provinces)], "某市",
			"展会", "A", sheet.Cent(int64(i) * 100), "admin@acme.test"})
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	out.Close()
	benchEngines(b, func(b *testing.B, db *store.DB) {
		for i := 0; i < b.N; i++ {
			e := newEnvUpload(b, db, service.MaxImportBytes)
			if i == 0 {
				e.tenant, e.admin = e.newTenant("acme", "admin@acme.test")
			}
			benchImport(b, e, "customer", path, n)
		}
	})
}

func BenchmarkImportFollowUpsCSV(b *testing.B) {
	n := benchRows(b, 1_000_000)
	const customers = 1000
	dir := b.TempDir()
	write := func(name string, header []string, rows int, row func(i int) []string) string {
		return writeCSV(b, filepath.Join(dir, name), header, rows, row)
	}
	custPath := write("customers.csv", []string{"客户名称"}, customers, func(i int) []string { return []string{fmt.Sprintf("客户%04d有限公司", i)} })
	types := []string{"电话", "拜访", "微信", "邮件"}
	t0 := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC) // a million minutes later is still in the past
	fuPath := write("followups.csv", []string{"客户", "跟进人", "跟进方式", "跟进时间", "时长（秒）", "内容"}, n, func(i int) []string {
		return []string{fmt.Sprintf("客户%04d有限公司", i%customers), "admin@acme.test", types[i%len(types)],
			t0.Add(time.Duration(i) * time.Minute).Format("2006-01-02 15:04"), strconv.Itoa(60 + i%600), "电话沟通需求，约下周拜访"}
	})
	benchEngines(b, func(b *testing.B, db *store.DB) {
		e := newEnvUpload(b, db, service.MaxImportBytes)
		e.tenant, e.admin = e.newTenant("acme", "admin@acme.test")
		ctx := context.Background()
		_, p, err := e.svc.Login(ctx, "admin@acme.test", adminPassword, "")
		if err != nil {
			b.Fatal(err)
		}
		f, _ := os.Open(custPath)
		if _, err := e.svc.StartImport(cohort.NewContext(ctx, p), service.Upload{Object: cohort.ObjCustomer, FileName: "c.csv", Body: f}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		e.runJobs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			benchImport(b, e, "followup", fuPath, n)
		}
	})
}
