// Progressive enhancement only: every page works without this file.
"use strict";
(function () {
  var d = document;
  function all(el, sel, f) { Array.prototype.forEach.call(el.querySelectorAll(sel), f); }

  // Errors: focus the summary so it is read first; warnings shown because
  // Continue was pressed come next.
  var sum = d.querySelector(".error-summary") || d.querySelector(".warning-summary[data-confirm]");
  if (sum) sum.focus();

  // A summary link focuses its field and shows the field's question: the
  // label, or the legend of a group (radios, checkboxes, a date's boxes).
  d.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest('.error-summary a[href^="#"], .warning-summary a[href^="#"]');
    var el = a && d.getElementById(a.getAttribute("href").slice(1));
    if (!el) return;
    var group = el.closest(".date-field") || (/radio|checkbox/.test(el.type) && el.closest("fieldset"));
    var label = group ? group.querySelector("legend") : d.querySelector('label[for="' + el.id + '"]');
    e.preventDefault();
    (label || el).scrollIntoView();
    el.focus({ preventScroll: true });
  });

  // Row lists (steps 2 and 6). Without this file every button posts and
  // the server does the same.
  function swap(v, a, b) {
    return v.split(" ").map(function (t) { return t.indexOf(a) ? t : b + t.slice(a.length); }).join(" ");
  }
  function rowsOf(box) { return box.querySelectorAll("fieldset.row"); }

  // buttons gives every row its Move up, Move down and Remove buttons, as
  // the server renders them, numbered by position.
  function buttons(box) {
    var rows = rowsOf(box), n = rows.length, noun = (box.dataset.noun || "row").toLowerCase();
    Array.prototype.forEach.call(rows, function (row, i) {
      var bar = row.querySelector(".row-actions"), id = row.id;
      var want = [];
      if (box.hasAttribute("data-movable") && n > 1) {
        if (i > 0) want.push(["up", "Move " + noun + " " + (i + 1) + " up"]);
        if (i < n - 1) want.push(["down", "Move " + noun + " " + (i + 1) + " down"]);
      }
      if (n > 1) want.push(["remove", "Remove " + noun + " " + (i + 1)]);
      bar.textContent = "";
      want.forEach(function (w) {
        var b = d.createElement("button");
        b.type = "submit"; b.name = "action"; b.className = "button secondary";
        b.value = w[0] + "-" + i; b.id = id + "-" + w[0]; b.textContent = w[1];
        bar.appendChild(b);
      });
    });
  }

  function add(e, btn) {
    var pre = btn.dataset.add, box = btn.form.querySelector('.rows[data-rows="' + pre + '"]');
    var rows = rowsOf(box), n = rows.length, last = rows[n - 1];
    var max = +box.dataset.max, i = +last.dataset.index, j = i + 1;
    if (i !== n - 1 || n >= max) return;
    var idp = "f-" + pre.replace(/[._\[\]]/g, "-") + "-", row = last.cloneNode(true);
    function renumber(el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (at) {
        var v = el.getAttribute(at);
        if (!v) return;
        if (at === "name") v = swap(v, pre + "[" + i + "]", pre + "[" + j + "]");
        else if (v === idp + i) v = idp + j;
        else v = swap(v, idp + i + "-", idp + j + "-");
        v = v.split(" ").filter(function (t) { return !/-(error|warning)$/.test(t); }).join(" ");
        if (v) el.setAttribute(at, v); else el.removeAttribute(at);
      });
    }
    renumber(row);
    all(row, "[name],[id],[for],[aria-describedby]", renumber);
    all(row, ".error-message,.warning-message", function (el) { el.remove(); });
    all(row, ".field-error,.input-error,.field-warning", function (el) { el.classList.remove("field-error", "input-error", "field-warning"); });
    all(row, "[autofocus]", function (el) { el.removeAttribute("autofocus"); });
    all(row, "input,select,textarea", function (el) {
      el.removeAttribute("aria-invalid");
      if (/radio|checkbox/.test(el.type)) el.checked = el.hasAttribute("data-default");
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else el.value = el.dataset.numbered ? el.dataset.numbered + " " + (j + 1) : "";
    });
    // A new wave enrolls nothing until the planner ticks what it enrolls
    // (issue 15: no population is put into a wave untouched), and has no
    // count boxes until the server asks for them.
    all(row, "[data-split-counts]", function (el) { el.remove(); });
    row.dataset.index = j;
    var h = row.querySelector("legend h2") || row.querySelector("legend");
    h.textContent = h.textContent.replace(/\d+\s*$/, j + 1);
    box.appendChild(row);
    buttons(box);
    sync(row);
    if (n + 1 >= max) btn.hidden = true;
    e.preventDefault();
    row.querySelector("input[type=text]").focus();
  }

  // The answer a row gives to a field: its select, or its checked radio
  // that is not disabled (a hidden question's answer counts as none).
  function picked(row, f) {
    var el = row.querySelector('select[name$="].' + f + '"]') || row.querySelector('input[name$="].' + f + '"]:checked:enabled');
    return el ? el.value : "";
  }

  // Step 6: a wave's device count follows its ticks.
  function waveDevices(row) {
    var out = row.querySelector("[data-wave-devices]");
    if (!out) return;
    var n = 0;
    all(row, "input[data-devices]:checked", function (el) { n += +el.dataset.devices; });
    var text = "Devices in this wave: " + n.toLocaleString("en-GB");
    if (out.textContent !== text) out.textContent = text; // an idle write can move the page under the pointer
  }

  // Step 2: a question shown only for some answers of its row, as
  // data-when="field=value,value;field=value" says ("not chosen yet"
  // counts as any); hidden, its inputs are disabled so none is sent. The
  // questions come in page order, so one that another reads (Enroll)
  // is settled first.
  function when(row) {
    all(row, "[data-when]", function (box) {
      var on = box.dataset.when.split(";").every(function (c) {
        var kv = c.split("="), v = picked(row, kv[0]);
        return v === "" || kv[1].split(",").indexOf(v) >= 0;
      });
      if (box.hidden === !on) return;
      box.hidden = !on;
      all(box, "input", function (el) { el.disabled = !on; });
    });
  }

  function sync(row) { when(row); waveDevices(row); }
  all(d, ".rows fieldset.row", sync);
  d.addEventListener("change", function (e) {
    var el = e.target, row = el.closest && el.closest(".rows fieldset.row");
    if (row && (el.tagName === "SELECT" || /radio|checkbox/.test(el.type))) sync(row);
  });
  d.addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-add]");
    if (btn) try { add(e, btn); } catch (err) { /* the server adds the row */ }
  });

  // Plan page: a Copy button beside each read-only link.
  all(d, "input[data-copy]", function (input) {
    var label = d.querySelector('label[for="' + input.id + '"]');
    var b = d.createElement("button"), said = d.createElement("span");
    b.type = "button"; b.className = "button secondary";
    b.textContent = "Copy " + (label ? label.textContent.toLowerCase() : "link");
    said.setAttribute("role", "status"); said.className = "visually-hidden";
    input.addEventListener("focus", function () { input.select(); });
    b.addEventListener("click", function () {
      function ok() { said.textContent = "Copied to the clipboard"; }
      function old() { input.select(); if (d.execCommand("copy")) ok(); }
      if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(ok, old); else old();
    });
    input.parentNode.append(b, said);
  });
})();

// Print view (/wizard/print, /p/{id}/print): a Print button in place of the
// no-JavaScript hint that names the browser's Print command. Kept apart
// from the wizard's code above (issue 8, share and print).
(function () {
  var b = document.querySelector("button[data-print]");
  if (!b || typeof window.print !== "function") return;
  var hint = document.querySelector("[data-print-hint]");
  b.hidden = false;
  if (hint) hint.hidden = true;
  b.addEventListener("click", function () { window.print(); });
})();

// Edit link: the key arrives in the fragment (#key=…), which browsers never
// send and proxies never log. Move it into the form and out of the address bar.
(function () {
  var input = document.querySelector('input[data-edit-key]');
  if (!input || location.hash.indexOf('#key=') !== 0) return;
  input.value = decodeURIComponent(location.hash.slice(5));
  history.replaceState(null, '', location.pathname + location.search);
})();

// Printing shows what the screen folds away, in browsers whose print CSS
// cannot open a closed <details> by itself.
(function () {
  var opened = [];
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details.screen-collapse:not([open])').forEach(function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener('afterprint', function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
