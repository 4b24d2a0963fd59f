/* The workspace's own script (no build step, no dependencies besides htmx).
 *
 * - Keyboard: `?` shortcuts, `/` search, `j`/`k` move through the rows
 *   (`tr[data-case]`) of a list marked `data-rows`, Enter opens the current row's
 *   `data-href`, `x` ticks its checkbox, `g` then a key follows `[data-go=key]`.
 *   Elements with `data-key="n"` are clicked by that key.
 * - SLA countdowns: every `[data-due]` (an ISO time from the server) shows the time
 *   left, ticking each second; negative and `.breached` once past. `data-paused`
 *   clocks do not tick. The server's clock is the reference (`[data-server-now]`,
 *   re-read after every htmx swap), so a desk PC with a wrong clock does not lie.
 */
(function () {
  "use strict";

  var skew = 0;
  var SOON_MS = 2 * 3600 * 1000;

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function fmt(ms) {
    var sign = ms < 0 ? "−" : "";
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return sign + d + "d " + h + "h";
    if (h > 0) return sign + h + "h " + String(m).padStart(2, "0") + "m";
    return sign + m + "m " + String(sec).padStart(2, "0") + "s";
  }

  function syncClock(root) {
    var marker = (root || document).querySelector("[data-server-now]");
    if (marker) skew = Date.parse(marker.getAttribute("data-server-now")) - Date.now();
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll("[data-due]").forEach(function (el) {
      if (el.hasAttribute("data-paused")) return;
      var left = Date.parse(el.getAttribute("data-due")) - now;
      var out = el.querySelector("[data-left]") || el;
      out.textContent = fmt(left);
      el.classList.toggle("breached", left < 0);
      el.classList.toggle("soon", left >= 0 && left < SOON_MS);
      el.classList.toggle("running", left >= SOON_MS);
    });
  }

  // --- lists: j / k / Enter / x -------------------------------------------------
  function rows() {
    var list = document.querySelector("[data-rows]");
    return list ? Array.prototype.slice.call(list.querySelectorAll("tr[data-case]")) : [];
  }

  function current() {
    return document.querySelector("[data-rows] tr.current");
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.indexOf(current());
    var next = all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step))];
    all.forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-selected"); });
    next.classList.add("current");
    next.setAttribute("aria-selected", "true");
    next.scrollIntoView({ block: "nearest" });
  }

  var pendingG = false;
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var dialog = document.getElementById("shortcuts");
    if (typing(ev.target)) {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    if (pendingG) {
      pendingG = false;
      var go = document.querySelector('[data-go="' + ev.key + '"]');
      if (go) { ev.preventDefault(); go.click(); }
      return;
    }
    var keyed = document.querySelector('[data-key="' + ev.key + '"]');
    switch (ev.key) {
      case "?":
        ev.preventDefault();
        if (dialog && !dialog.open) dialog.showModal();
        return;
      case "/":
        var search = document.querySelector("[data-search]");
        if (search) { ev.preventDefault(); search.focus(); search.select(); }
        return;
      case "j": ev.preventDefault(); move(1); return;
      case "k": ev.preventDefault(); move(-1); return;
      case "Enter":
        var row = current();
        if (row) { ev.preventDefault(); window.location.assign(row.getAttribute("data-href")); }
        return;
      case "x":
        var box = current() && current().querySelector("input[type=checkbox]");
        if (box) { ev.preventDefault(); box.click(); }
        return;
      case "g": pendingG = true; return;
    }
    if (keyed) { ev.preventDefault(); keyed.click(); }
  });

  document.addEventListener("click", function (ev) {
    var opener = ev.target.closest("[data-open-shortcuts]");
    if (opener) document.getElementById("shortcuts").showModal();
    if (ev.target.closest("[data-print]")) window.print();
    // A button with data-confirm="question" asks before submitting its form.
    var risky = ev.target.closest("[data-confirm]");
    if (risky && !window.confirm(risky.getAttribute("data-confirm"))) ev.preventDefault();
    var row = ev.target.closest("[data-rows] tr[data-href]");
    if (row && !ev.target.closest("a, button, input, label, select")) {
      window.location.assign(row.getAttribute("data-href"));
    }
  });

  // "select all" checkboxes: data-select-all="name" ticks every checkbox of that name.
  document.addEventListener("change", function (ev) {
    var all = ev.target.closest("[data-select-all]");
    if (all) {
      var name = all.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
        b.checked = all.checked;
      });
    }
  });

  function init(root) { syncClock(root); tick(); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (ev) { init(ev.target); });
  setInterval(tick, 1000);
})();
