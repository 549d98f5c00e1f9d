// Progressive enhancement only: every page works without this file.
"use strict";
(function () {
  var d = document;
  function all(el, sel, f) { Array.prototype.forEach.call(el.querySelectorAll(sel), f); }

  // Errors: focus the summary so it is read first.
  var sum = d.querySelector(".error-summary");
  if (sum) sum.focus();

  // "Add another" (steps 2 and 6): clone the last row and renumber it.
  // Anything unexpected leaves the click alone, and the server adds the row.
  function swap(v, a, b) {
    return v.split(" ").map(function (t) { return t.indexOf(a) ? t : b + t.slice(a.length); }).join(" ");
  }
  function removeButton(row) {
    var b = row.querySelector('button[value^="remove-"]'), t = row.querySelector("legend").textContent.trim();
    if (!b) {
      b = d.createElement("button");
      b.name = "action"; b.className = "button secondary";
      row.querySelector(".row-actions").appendChild(b);
    }
    b.value = "remove-" + row.dataset.index;
    b.textContent = "Remove " + t.charAt(0).toLowerCase() + t.slice(1);
  }
  function add(e, btn) {
    var pre = btn.dataset.add, box = btn.form.querySelector('.rows[data-rows="' + pre + '"]');
    var rows = box.querySelectorAll("fieldset.row"), n = rows.length, last = rows[n - 1];
    var max = +box.dataset.max, i = +last.dataset.index, j = i + 1;
    if (i !== n - 1 || n >= max) return;
    var idp = "f-" + pre.replace(/[._]/g, "-") + "-", row = last.cloneNode(true);
    all(row, "[name],[id],[for],[aria-describedby]", function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (at) {
        var v = el.getAttribute(at);
        if (!v) return;
        v = at === "name" ? swap(v, pre + "[" + i + "]", pre + "[" + j + "]") : swap(v, idp + i + "-", idp + j + "-");
        v = v.split(" ").filter(function (t) { return !/-error$/.test(t); }).join(" ");
        if (v) el.setAttribute(at, v); else el.removeAttribute(at);
      });
    });
    all(row, ".error-message", function (el) { el.remove(); });
    all(row, ".field-error,.input-error", function (el) { el.classList.remove("field-error", "input-error"); });
    all(row, "input,select,textarea", function (el) {
      el.removeAttribute("aria-invalid");
      if (/radio|checkbox/.test(el.type)) el.checked = el.hasAttribute("data-default");
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else el.value = el.dataset.numbered ? el.dataset.numbered + " " + (j + 1) : "";
    });
    row.dataset.index = j;
    var h = row.querySelector("legend h2") || row.querySelector("legend");
    h.textContent = h.textContent.replace(/\d+\s*$/, j + 1);
    box.appendChild(row);
    all(box, "fieldset.row", removeButton);
    if (n + 1 >= max) btn.hidden = true;
    e.preventDefault();
    row.querySelector("input[type=text]").focus();
  }
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
