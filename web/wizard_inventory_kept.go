package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/store"
)

// A hospital has several exports: the planner imports one, keeps its list,
// then imports the next and adds its groups. The list kept from the
// earlier files is stored under the same owner as the new upload, so it is
// carried along inside the new blob and comes back whole at apply (add and
// keep), or on "Upload another file".

// keptMark starts the population of a device carried from the kept list,
// before the id of its population in the answers. The grouping operations
// act on the groups' ids and never see these devices (regroup sets them
// aside); counts ignore them.
const keptMark = "kept:"

// rawKeptMagic starts a stored upload whose columns wait on the planner and
// which carries a kept list: the length of the encoded list in decimal, a
// newline, the list (inventory.EncodeList), then the upload, compressed.
const rawKeptMagic = "enrollplan-upload+kept\n"

// isRawUpload reports whether a stored blob is an upload awaiting its
// columns rather than a device list.
func isRawUpload(data []byte) bool {
	return bytes.HasPrefix(data, []byte(rawUploadMagic)) || bytes.HasPrefix(data, []byte(rawKeptMagic))
}

// rawBlob is what is stored while the columns are asked about: the upload,
// and the kept devices when some are carried.
func rawBlob(raw []byte, kept []inventory.Device, carried bool) ([]byte, error) {
	if !carried {
		return append([]byte(rawUploadMagic), raw...), nil
	}
	list, err := inventory.EncodeList(kept)
	if err != nil {
		return nil, err
	}
	out := append([]byte(rawKeptMagic), strconv.Itoa(len(list))+"\n"...)
	out = append(out, list...)
	return append(out, raw...), nil
}

// splitRawBlob reads what rawBlob wrote: the upload (gzip) and the kept
// devices carried with it; ok is false when data is no raw upload.
func splitRawBlob(data []byte) (raw []byte, kept []inventory.Device, ok bool, err error) {
	if raw, ok := bytes.CutPrefix(data, []byte(rawUploadMagic)); ok {
		return raw, nil, true, nil
	}
	rest, ok := bytes.CutPrefix(data, []byte(rawKeptMagic))
	if !ok {
		return nil, nil, false, nil
	}
	num, rest, _ := bytes.Cut(rest, []byte("\n"))
	n, err := strconv.Atoi(string(num))
	if err != nil || n < 0 || n > len(rest) {
		return nil, nil, false, fmt.Errorf("inventory: the stored upload's kept list is cut off")
	}
	kept, err = inventory.DecodeList(rest[:n])
	if err != nil {
		return nil, nil, false, err
	}
	return rest[n:], kept, true, nil
}

// withKept is the blob of a grouped upload: its devices, and the kept
// devices carried along.
func withKept(devices, kept []inventory.Device) ([]byte, error) {
	return inventory.EncodeList(append(devices[:len(devices):len(devices)], kept...))
}

// splitKept sets the carried devices apart from those being grouped.
func splitKept(list []inventory.Device) (grouped, kept []inventory.Device) {
	for _, dev := range list {
		if strings.HasPrefix(dev.Population, keptMark) {
			kept = append(kept, dev)
		} else {
			grouped = append(grouped, dev)
		}
	}
	return grouped, kept
}

// carriedDevices are the kept devices a new upload must carry, marked
// (keptMark): the list kept with the draft once applied, or those the
// import in progress carries already. carried is false when there is no
// kept list: the upload then carries nothing.
func (s *Server) carriedDevices(ctx context.Context, d *draft) (kept []inventory.Device, carried bool, err error) {
	inv := d.Inventory
	if d.ID == "" || inv == nil || !(d.deviceListKept() || !inv.Applied && inv.Carried) {
		return nil, false, nil
	}
	data, _, err := s.store.GetDeviceList(ctx, store.DraftDevices(d.ID))
	if errors.Is(err, store.ErrNotFound) { // forgotten meanwhile
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if d.deviceListKept() {
		list, err := inventory.DecodeList(data)
		if err != nil {
			return nil, false, err
		}
		for i := range list {
			list[i].Population = keptMark + list[i].Population
		}
		return list, true, nil
	}
	if _, kept, ok, err := splitRawBlob(data); ok || err != nil {
		return kept, err == nil, err
	}
	list, err := inventory.DecodeList(data)
	if err != nil {
		return nil, false, err
	}
	_, kept = splitKept(list)
	return kept, true, nil
}

// restoreKept is "Upload another file" when the import carried a kept
// list: that list is the draft's again, as it was before the upload.
// It reports false when there was none to restore.
func (s *Server) restoreKept(ctx context.Context, d *draft) (bool, error) {
	kept, carried, err := s.carriedDevices(ctx, d)
	if err != nil || !carried {
		return false, err
	}
	for i := range kept {
		kept[i].Population = strings.TrimPrefix(kept[i].Population, keptMark)
	}
	blob, err := inventory.EncodeList(kept)
	if err != nil {
		return false, err
	}
	if err := s.store.SaveDeviceList(ctx, store.DraftDevices(d.ID), blob); err != nil {
		return false, err
	}
	d.Inventory = &inventoryDraft{Applied: true, Keep: true, PlanList: "keep", Devices: len(kept)}
	return true, nil
}
