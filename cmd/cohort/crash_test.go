package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the crash test start this test binary as the real server:
// with COHORT_CRASH_CHILD set it runs main instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("COHORT_CRASH_CHILD") == "1" {
		os.Args = append([]string{"cohort"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestKillNineLosesNoAcknowledgedWrite runs the server on a SQLite file
// (synchronous=FULL, group commit on), creates customers from 16 clients at
// once, kills the server with SIGKILL at a random moment, and checks after
// each kill that every customer acknowledged with 201 is in the database.
// COHORT_CRASH_TRIALS sets the number of kills (3 by default; 20 for the
// release check, see docs/BENCHMARKS.md).
func TestKillNineLosesNoAcknowledgedWrite(t *testing.T) {
	trials := 3
	if s := os.Getenv("COHORT_CRASH_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("COHORT_CRASH_TRIALS=%q", s)
		}
		trials = n
	}
	dbPath := filepath.Join(t.TempDir(), "crash.db")
	acked := map[string]bool{}
	total := 0
	for trial := range trials {
		names := crashTrial(t, dbPath, trial)
		for _, n := range names {
			acked[n] = true
		}
		total += len(names)
		db, err := sql.Open("sqlite", dbPath)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("SELECT name FROM customers")
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			have[n] = true
		}
		rows.Close()
		db.Close()
		lost := 0
		for n := range acked {
			if !have[n] {
				lost++
			}
		}
		t.Logf("trial %d: %d acknowledged in this run, %d in all, %d lost", trial+1, len(names), len(acked), lost)
		if lost > 0 {
			t.Fatalf("trial %d: %d acknowledged customers lost after kill -9", trial+1, lost)
		}
	}
	if total == 0 {
		t.Fatal("no write was acknowledged in any trial")
	}
}

// crashTrial starts the server, writes until a random moment, kills it and
// returns the names of the customers acknowledged.
func crashTrial(t *testing.T, dbPath string, trial int) []string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "serve", "--db", dbPath, "--addr", addr, "--log-level", "error")
	cmd.Env = append(os.Environ(), "COHORT_CRASH_CHILD=1", "COHORT_SQLITE_SYNC=FULL",
		"COHORT_ADMIN_EMAIL=crash@crash.test", "COHORT_ADMIN_PASSWORD=crash-test-password")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("server not ready: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := client.Post(base+"/api/v1/auth/login", "application/json",
		bytes.NewReader([]byte(`{"email":"crash@crash.test","password":"crash-test-password"}`)))
	if err != nil || res.StatusCode != 200 {
		_ = cmd.Process.Kill()
		t.Fatalf("login: %v %v", err, res)
	}
	res.Body.Close()

	var mu sync.Mutex
	var acked []string
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				name := fmt.Sprintf("崩溃测试 %d-%d-%d", trial, w, i)
				body, _ := json.Marshal(map[string]any{"name": name})
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/customers", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(time.Duration(300+(trial*337)%900) * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	cancel()
	wg.Wait()
	return acked
}
