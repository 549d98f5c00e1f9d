// Package examples carries the example answers files the server itself
// needs: the starting fleets the start page offers (templates/*.json). The
// other examples are read from disk by tests and by people.
package examples

import "embed"

// Templates holds templates/<name>.json, one answers file per starting fleet.
//
//go:embed templates/*.json
var Templates embed.FS
