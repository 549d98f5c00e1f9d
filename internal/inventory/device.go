// Package inventory reads a device inventory exported by Intune,
// Configuration Manager, another MDM, Apple Business or a spreadsheet, and
// proposes the populations a person would make of it (CONTRACT §8.5). It
// depends on internal/plan only.
package inventory

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Device is one placed row of an inventory. Name, Serial and User are
// personal data: they leave this package only for a device list the planner
// chose to keep (for the worklist).
type Device struct {
	Row        int       `json:"row"` // data row, numbered from 1 (the heading not counted)
	Name       string    `json:"name,omitempty"`
	Serial     string    `json:"serial,omitempty"`
	User       string    `json:"user,omitempty"`
	OS         string    `json:"os,omitempty"`
	OSVersion  string    `json:"os_version,omitempty"`
	Model      string    `json:"model,omitempty"`
	Maker      string    `json:"manufacturer,omitempty"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	Population string    `json:"population"` // the id of the population it was placed in
}

// EncodeList is how a kept device list is stored: JSON, gzip-compressed
// (device names and serials compress several times over).
func EncodeList(devices []Device) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(devices); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeList reads what EncodeList wrote, reading at most MaxListBytes
// after decompression.
func DecodeList(data []byte) ([]Device, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("device list: %w", err)
	}
	var devices []Device
	if err := json.NewDecoder(io.LimitReader(zr, MaxListBytes)).Decode(&devices); err != nil {
		return nil, fmt.Errorf("device list: %w", err)
	}
	return devices, nil
}

// MaxListBytes bounds a decoded device list: 100,000 devices of a few
// hundred bytes each.
const MaxListBytes = 64 << 20
