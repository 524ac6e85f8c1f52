package config_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohortcrm/cohort/internal/config"
)

var update = flag.Bool("update", false, "rewrite the configuration section of README.md")

const (
	beginMarker = "<!-- config:begin -->"
	endMarker   = "<!-- config:end -->"
)

// TestREADME keeps README.md's configuration table equal to the settings
// table; go test ./internal/config -update rewrites it.
func TestREADME(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, beginMarker)
	j := strings.Index(readme, endMarker)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %s ... %s section", beginMarker, endMarker)
	}
	want := "\n" + config.Markdown() + "\n"
	got := readme[i+len(beginMarker) : j]
	if got == want {
		return
	}
	if *update {
		out := readme[:i+len(beginMarker)] + want + readme[j:]
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's configuration table is out of date; run: go test ./internal/config -update\n--- README.md\n%s\n--- generated\n%s", got, want)
}
