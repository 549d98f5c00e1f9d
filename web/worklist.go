package web

// The per-device worklist (issue 18, CONTRACT §8.5): the device list a
// planner kept, one row per device with its wave, steps and the status the
// team recorded, as CSV and as an Excel workbook; and "Forget the device
// list". The list holds names, serial numbers and users, so it is served
// only to whoever may record progress (the tracker's grant, or the edit
// key), never cached, and erased with the plan.

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/enrollplan/enrollplan/internal/inventory"
	"github.com/enrollplan/enrollplan/internal/store"
	"github.com/enrollplan/enrollplan/internal/worklist"
	"github.com/enrollplan/enrollplan/templates/pages"
)

// worklistFormats are the worklist's formats and their media types.
var worklistFormats = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// keptDevices reads and decodes a kept device list; nil, without error,
// when owner keeps none.
func (s *Server) keptDevices(ctx context.Context, owner string) ([]inventory.Device, error) {
	data, _, err := s.store.GetDeviceList(ctx, owner)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	devices, err := inventory.DecodeList(data)
	if err != nil {
		return nil, err
	}
	if devices == nil {
		devices = []inventory.Device{} // kept, though empty
	}
	return devices, nil
}

// mayReadDevices allows the worklist to a browser that opened the plan's
// tracker with its edit key, or to a client sending the edit key as
// Authorization: Bearer; the share link alone is not enough.
func (s *Server) mayReadDevices(r *http.Request, info store.PlanInfo) error {
	if s.hasTrackerGrant(r, info) {
		return nil
	}
	if key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && store.KeyMatches(info.EditKeyHash, strings.TrimSpace(key)) {
		return nil
	}
	return statusError(http.StatusForbidden, "The worklist names devices, their serial numbers and their users, so the plan's read-only link does not open it. Open the plan's tracker (/p/"+info.ID+"/progress) in this browser with the edit link, then download the worklist again.")
}

// trackedProgress is the progress recorded on a plan as the worklist reads
// it: a task's status as the tracker shows it, and the counts.
type trackedProgress struct{ ps progressState }

func (tp trackedProgress) TaskStatus(id string) (string, string) {
	rec := tp.ps.p.Tasks[id]
	if tk := tp.ps.t.Tasks[id]; tk != nil {
		return tp.ps.status(tk), rec.Note
	}
	if rec.Status != "" {
		return rec.Status, rec.Note
	}
	return statusTodo, ""
}

func (tp trackedProgress) Enrolled(wave, pop string) (int, bool) {
	return tp.ps.enrolled(wave, pop), true
}

// handleWorklist is GET /p/{id}/worklist.csv and .xlsx: the kept devices of
// the plan's latest revision with the progress recorded on it.
func (s *Server) handleWorklist(format string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := planID(r)
		if err != nil {
			return err
		}
		info, ps, err := s.latestProgress(r, id) // 404, 410
		if err != nil {
			return err
		}
		if err := s.mayReadDevices(r, info); err != nil {
			return err
		}
		devices, err := s.keptDevices(r.Context(), store.PlanDevices(id))
		if err != nil {
			return err
		}
		if devices == nil {
			return statusError(http.StatusNotFound, "This plan keeps no device list, so it has no worklist. To make one, open the plan with its edit link, import the device inventory in step 2 and choose to keep the device list, then save the plan.")
		}
		sp, err := s.store.GetRevision(r.Context(), id, info.Revision)
		if err != nil {
			return err
		}
		p, _, _, err := s.revisionPlan(r.Context(), sp)
		if err != nil {
			return err
		}
		rows := worklist.Build(p, devices, trackedProgress{ps})
		return writeWorklist(w, rows, worklistName(p.Organization, s.now().UTC().Format(time.DateOnly), format), format)
	}
}

// handleDraftWorklist is GET /wizard/worklist.csv and .xlsx: the planner's
// draft, from the list kept with it (or with the saved plan it edits) and
// the plan its answers make; nothing is recorded on a draft yet.
func (s *Server) handleDraftWorklist(format string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, p, ok, err := s.draftPlan(w, r)
		if !ok || err != nil {
			return err
		}
		// The draft's list is the planner's kept one only once a grouping
		// is applied with "keep"; before that it may be an upload being
		// grouped (or its raw bytes, while a column is asked about).
		var devices []inventory.Device
		if d.deviceListKept() {
			devices, err = s.keptDevices(r.Context(), store.DraftDevices(d.ID))
		}
		if err == nil && devices == nil && d.PlanID != "" {
			devices, err = s.keptDevices(r.Context(), store.PlanDevices(d.PlanID))
		}
		if err != nil {
			return err
		}
		if devices == nil {
			return statusError(http.StatusNotFound, "Your plan keeps no device list, so it has no worklist yet. In step 2, import the device inventory and choose to keep the device list (names, serial numbers and users).")
		}
		rows := worklist.Build(p, devices, worklist.PlanOnly(p))
		return writeWorklist(w, rows, worklistName(p.Organization, "draft", format), format)
	}
}

// worklistName is the worklist's file name: the organisation, then the
// day it was made (its statuses are that day's) or "draft", for example
// northwind-traders-worklist-2027-02-01.xlsx.
func worklistName(org, label, format string) string {
	return orgSlug(org) + "-worklist-" + label + "." + format
}

// writeWorklist renders the rows, buffered so that a failure never ships
// a partial 200, as an attachment nothing may keep a copy of.
func writeWorklist(w http.ResponseWriter, rows []worklist.Row, name, format string) error {
	var buf bytes.Buffer
	var err error
	if format == "xlsx" {
		err = worklist.WriteXLSX(&buf, rows)
	} else {
		err = worklist.WriteCSV(&buf, rows)
	}
	if err != nil {
		return err
	}
	capabilityHeaders(w)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", worklistFormats[format])
	setFileName(w, "attachment", name)
	writeBody(w, buf.Bytes())
	return nil
}

// handleForgetDevices is POST /p/{id}/devices/forget: whoever opened the
// tracker with the edit key erases the plan's device list, and is sent
// back to the tracker, which says so. The share page, rendered once per
// revision, is rendered again without it.
func (s *Server) handleForgetDevices(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r)
	if err != nil {
		return err
	}
	info, err := s.planInfo(r, id) // 404, 410
	if err != nil {
		return err
	}
	if err := s.mayReadDevices(r, info); err != nil {
		return statusError(http.StatusForbidden, "Only whoever holds the plan's edit key can forget its device list. Open the plan's tracker (/p/"+id+"/progress) in this browser with the edit link, and choose Forget the device list there.")
	}
	if err := s.store.DeleteDeviceList(ctxWithoutCancel(r.Context()), store.PlanDevices(id)); err != nil {
		return err
	}
	s.cache.dropPlan(id)
	s.log.Info("device list forgotten", "request_id", reqIDOf(r), "plan", id)
	http.Redirect(w, r, "/p/"+id+"/progress?devices=forgotten#device-list", http.StatusSeeOther)
	return nil
}

// deviceListCount is how many devices a plan's kept list holds; ok is
// false when it keeps none. The tracker shows it on every visit, so the
// count (never the list) is cached by the list's save time.
func (s *Server) deviceListCount(ctx context.Context, id string) (n int, ok bool, err error) {
	data, at, err := s.store.GetDeviceList(ctx, store.PlanDevices(id))
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	v, err := s.cache.do(ctx, cacheKey{id: id, kind: "device-count " + at.UTC().Format(time.RFC3339Nano)}, nil, func(context.Context) (any, int64, error) {
		devices, err := inventory.DecodeList(data)
		return len(devices), 64, err
	})
	if err != nil {
		return 0, false, err
	}
	return v.(int), true, nil
}

// shareDeviceList is the share page's note of the device list the plan
// keeps (nil when none). The page is public and cached, so it links the
// worklist and the tracker for everyone; the worklist itself asks for the
// edit key.
func (s *Server) shareDeviceList(ctx context.Context, id string) (*pages.DeviceListView, error) {
	n, ok, err := s.deviceListCount(ctx, id)
	if !ok || err != nil {
		return nil, err
	}
	base := "/p/" + id
	return &pages.DeviceListView{Devices: n, CSVURL: base + "/worklist.csv", XLSXURL: base + "/worklist.xlsx", TrackerURL: base + "/progress"}, nil
}

// trackerDeviceList is the tracker's section on the device list: its
// worklist and "Forget the device list", or, back from forgetting it, that
// it is gone; nil when the plan keeps none.
func (s *Server) trackerDeviceList(r *http.Request, id string) (*pages.DeviceListView, error) {
	n, ok, err := s.deviceListCount(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !ok {
		if r.Method == http.MethodGet && r.URL.Query().Get("devices") == "forgotten" {
			return &pages.DeviceListView{Forgotten: true}, nil
		}
		return nil, nil
	}
	base := "/p/" + id
	return &pages.DeviceListView{Devices: n, CSVURL: base + "/worklist.csv", XLSXURL: base + "/worklist.xlsx", ForgetURL: base + "/devices/forget"}, nil
}

var _ worklist.Progress = trackedProgress{}
