// Package web holds the built single-page application (see web/README.md).
// The files under dist are produced by `npm run build` and committed, so a Go
// build needs no Node toolchain.
package web

import "embed"

// Dist is the built UI: index.html at the root, hashed assets under assets/.
//
//go:embed all:dist
var Dist embed.FS
