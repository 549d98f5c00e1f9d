// The tracker (/p/{id}/progress). Progressive enhancement only: without
// this file every form posts and comes back. With the plan's edit key in
// this tab (kept when the key page is submitted), a change saves in place
// through the API: PATCH with If-Match "p<version>"; a change by someone
// else to the same task (412) is told beside it, and the next save records
// this one over it.
"use strict";
(function () {
  var d = document;
  function all(el, sel) { return Array.prototype.slice.call(el.querySelectorAll(sel)); }
  function storeKey(id) { return "enrollplan.key." + id; }

  // The key page: remember the key this tab shows, for the saves in place.
  // app.js has already moved a #key= fragment into the input.
  var keyForm = d.querySelector("form[data-tracker-key]");
  if (keyForm) {
    keyForm.addEventListener("submit", function () {
      var k = keyForm.querySelector("input[name=key]").value.trim();
      var m = k.match(/[#?&]key=([^&#\s]+)/);
      if (m) k = decodeURIComponent(m[1]);
      try { sessionStorage.setItem(storeKey(keyForm.dataset.trackerKey), k); } catch (e) { /* the forms still post */ }
    });
  }

  var root = d.querySelector("[data-tracker]");
  if (!root || !window.fetch) return;
  var planID = root.dataset.tracker, key = null;
  try { key = sessionStorage.getItem(storeKey(planID)); } catch (e) { /* no storage: the forms post */ }
  if (!key) return;
  var live = root.querySelector("[data-live]");
  var api = "/api/v1/plans/" + encodeURIComponent(planID) + "/progress";
  var words = { todo: "to do", doing: "in progress", done: "done", blocked: "blocked", skipped: "skipped" };

  function versionOf(form) { return +form.querySelector("input[data-version]").value.slice(1); }
  function hidden(form, name) { return form.querySelector('input[type=hidden][name="' + CSS.escape(name) + '"]'); }

  // An item is one task row or one count, each with the version its shown
  // value stands on (data-base).
  function items(form) {
    var out = all(form, "li[data-task]").map(function (li) {
      var id = li.dataset.task;
      return { kind: "task", el: li, id: id, status: li.querySelector("select[data-status]"), note: li.querySelector("input[data-note]"),
        oldStatus: hidden(form, "old-status." + id), oldNote: hidden(form, "old-note." + id) };
    });
    var count = form.querySelector("input[data-count]");
    if (count) out.push({ kind: "count", el: count.closest(".field"), input: count, old: hidden(form, "old-enrolled"), wave: count.dataset.wave, pop: count.dataset.population });
    out.forEach(function (it) { if (!it.el.dataset.base) it.el.dataset.base = versionOf(form); });
    return out;
  }
  function dirty(it) {
    if (it.kind === "task") return it.status.value !== it.oldStatus.value || it.note.value.trim() !== it.oldNote.value.trim();
    return it.input.value.trim() !== it.old.value;
  }
  function message(it, text, bad) {
    var p = it.el.querySelector("[data-msg]");
    if (!p) {
      p = d.createElement("p");
      p.setAttribute("data-msg", "");
      var anchor = it.kind === "task" ? it.el.querySelector(".track-fields") : it.input;
      anchor.parentNode.insertBefore(p, anchor);
    }
    p.className = bad ? "error-message" : "saved-message";
    p.textContent = text;
    if (live) live.textContent = text;
  }
  function clearMessage(it) { var p = it.el.querySelector("[data-msg]"); if (p) p.remove(); }
  function byName(form) { var b = form.querySelector("input[data-by]"); return b ? b.value.trim() : ""; }
  function when(iso) { return iso ? iso.replace("T", " ").replace(/:\d\dZ$/, " UTC") : ""; }

  // refresh shows the whole progress the API answered on every item nobody
  // is editing here, so that every shown value stands on its version.
  function refresh(p) {
    all(root, "form[data-progress-form]").forEach(function (form) {
      var clean = true;
      items(form).forEach(function (it) {
        if (dirty(it)) { clean = false; return; }
        if (it.kind === "task") {
          var e = p.tasks[it.id];
          if (e) {
            it.status.value = it.oldStatus.value = e.status;
            it.note.value = it.oldNote.value = e.note;
            var rec = it.el.querySelector("[data-recorded]");
            if (rec) rec.textContent = "Recorded as " + (words[e.status] || e.status) + (e.by ? " by " + e.by : "") + (e.updated ? ", " + when(e.updated) : "") + ".";
          }
        } else {
          var n = (p.enrolled[it.wave] || {})[it.pop] || 0;
          it.input.value = it.old.value = String(n);
        }
        it.el.dataset.base = p.version;
      });
      if (clean) form.querySelector("input[data-version]").value = "p" + p.version;
    });
  }

  function fallback(form) {
    try { sessionStorage.removeItem(storeKey(planID)); } catch (e) { /* ignore */ }
    key = null;
    form.submit(); // the cookie may still open the tracker; the server says if not
  }

  // save records the changed items of one form in one PATCH. A form saves
  // one request at a time: a change made meanwhile is saved after it, from
  // the version it answers.
  function save(form, only) {
    if (!key) { form.submit(); return; }
    if (form.dataset.saving) { form.dataset.again = "1"; return; }
    var changed = items(form).filter(function (it) { return dirty(it) && (!only || it.el === only); });
    if (!changed.length) return;
    changed.forEach(clearMessage);
    var body = { tasks: {}, enrolled: {} }, base = Infinity, by = byName(form);
    if (by) body.by = by;
    changed.forEach(function (it) {
      base = Math.min(base, +it.el.dataset.base);
      if (it.kind === "task") body.tasks[it.id] = { status: it.status.value, note: it.note.value.trim() };
      else {
        var n = Number(it.input.value.replace(/[\s,]/g, ""));
        if (!/^\d+$/.test(it.input.value.replace(/[\s,]/g, ""))) { message(it, "Enter the number of devices enrolled so far, like 40.", true); base = -1; return; }
        body.enrolled[it.wave] = {}; body.enrolled[it.wave][it.pop] = n;
      }
    });
    if (base < 0) return;
    form.dataset.saving = "1";
    function done() {
      delete form.dataset.saving;
      if (form.dataset.again) { delete form.dataset.again; save(form, null); }
    }
    fetch(api, {
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + key, "If-Match": '"p' + base + '"' },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (res.status === 200) {
        return res.json().then(function (p) {
          changed.forEach(function (it) { it.el.dataset.base = p.version; });
          changed.forEach(function (it) {
            if (it.kind === "task") { it.oldStatus.value = it.status.value; it.oldNote.value = it.note.value.trim(); }
            else it.old.value = it.input.value.trim();
          });
          refresh(p);
          changed.forEach(function (it) { message(it, "Saved.", false); });
        });
      }
      if (res.status === 412) return conflict(changed);
      if (res.status === 401 || res.status === 403) return fallback(form);
      return res.json().then(function (e) {
        var text = (e.errors && e.errors[0] && e.errors[0].message) || "Not saved; press Save to try again.";
        changed.forEach(function (it) { message(it, "Not saved: " + text, true); });
      });
    }).catch(function () {
      changed.forEach(function (it) { message(it, "Not saved: the server could not be reached. Press Save to try again.", true); });
    }).then(done, done);
  }

  // conflict tells who changed the same task or count since it was shown,
  // keeps this tab's choice, and stands it on the latest version, so that
  // saving again records it over theirs.
  function conflict(changed) {
    return fetch(api, { credentials: "same-origin" }).then(function (res) { return res.json(); }).then(function (p) {
      changed.forEach(function (it) {
        it.el.dataset.base = p.version;
        if (it.kind === "task") {
          var e = p.tasks[it.id];
          if (!e || (e.status === it.oldStatus.value && e.note === it.oldNote.value.trim())) {
            message(it, "Not saved: the progress changed meanwhile. Press Save to record your change.", true);
            return;
          }
          it.oldStatus.value = e.status; it.oldNote.value = e.note;
          message(it, (e.by || "Someone") + " recorded this as " + (words[e.status] || e.status) + (e.updated ? " at " + when(e.updated) : "") +
            (e.note ? " (note: “" + e.note + "”)" : "") + " since you loaded the page. Your choice is kept: press Save to record it over theirs.", true);
        } else {
          var n = (p.enrolled[it.wave] || {})[it.pop] || 0;
          it.old.value = String(n);
          message(it, "Someone recorded " + n + " devices since you loaded the page. Your number is kept: press Save to record it over theirs.", true);
        }
      });
    });
  }

  root.setAttribute("data-saves-in-place", ""); // tests wait for it
  all(root, "form[data-progress-form]").forEach(function (form) {
    items(form);
    form.addEventListener("submit", function (e) { e.preventDefault(); save(form, null); });
    form.addEventListener("change", function (e) {
      var t = e.target;
      if (t.matches("input[data-by]")) {
        all(root, "input[data-by]").forEach(function (b) { b.value = t.value; });
        return;
      }
      var row = t.closest("li[data-task]") || (t.matches("input[data-count]") && t.closest(".field"));
      if (row) save(form, row);
    });
  });
})();
