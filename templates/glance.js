(function () {
  "use strict";
  var doc = document;
  var main = doc.querySelector("main[data-refresh]");
  if (!main) return;
  var every = Math.max(2, Number(main.getAttribute("data-refresh")) || 60) * 1000;
  var api = main.getAttribute("data-api");
  var overview = main.hasAttribute("data-overview");
  var toggle = doc.querySelector("[data-unit-toggle]");
  var KEY = "glance-temperature-unit";
  var etag = null, timer = null;

  function $(selector, root) { return (root || doc).querySelector(selector); }
  function all(selector, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(selector)); }

  function ago(seconds) {
    return seconds < 60 ? "just now"
      : seconds < 3600 ? Math.floor(seconds / 60) + " min ago"
      : seconds < 172800 ? Math.floor(seconds / 3600) + " h ago"
      : Math.floor(seconds / 86400) + " days ago";
  }
  function showTime() {
    all("[data-when]").forEach(function (box) {
      var time = $("time[datetime]", box), words = $("[data-ago]", box);
      if (!time || !words) return;
      var when = new Date(time.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      time.textContent = when.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
      words.textContent = ago(Math.max(0, (Date.now() - when.getTime()) / 1000));
    });
  }

  function preferred() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function convert(text, from, to) {
    var x = parseFloat(text);
    if (from === to || !isFinite(x)) return text;
    var decimals = (String(text).split(".")[1] || "").length;
    var y = to === "°C" ? (x - 32) / 1.8 : x * 1.8 + 32;
    return y.toFixed(decimals).replace(/^-(0(\.0+)?)$/, "$1");
  }
  function applyUnits() {
    var want = preferred(), shown = null;
    all("[data-field],[data-card]").forEach(function (box) {
      var unit = $("[data-u]", box);
      var from = unit && unit.getAttribute("data-u");
      if (from !== "°C" && from !== "°F") return;
      var to = want === "°C" || want === "°F" ? want : from;
      shown = shown || to;
      all("[data-v]", box).forEach(function (el) { el.textContent = convert(el.getAttribute("data-v"), from, to); });
      all("[data-u]", box).forEach(function (el) { el.textContent = to; });
    });
    if (toggle && shown) {
      toggle.textContent = "Show in " + (shown === "°C" ? "°F" : "°C");
      toggle.hidden = false;
    }
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      var next = toggle.textContent.indexOf("°C") >= 0 ? "°C" : "°F";
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: this view only */ }
      applyUnits();
    });
  }

  function span(className, text, attribute, value) {
    var el = doc.createElement("span");
    el.className = className;
    el.textContent = text;
    if (attribute) el.setAttribute(attribute, value);
    return el;
  }
  function showValue(box, field) {
    var value = $(".value", box);
    if (!value) return;
    value.textContent = "";
    if (field.display === null) {
      value.appendChild(span("dash", "–", "aria-hidden", "true"));
      value.appendChild(span("visually-hidden", "no value"));
    } else if (field.numeric) {
      value.appendChild(span("number", field.display, "data-v", field.display));
      if (field.unit) value.appendChild(span("unit", field.unit, "data-u", field.unit));
    } else {
      value.appendChild(span("text", field.display));
    }
  }
  function update(data) {
    var time = $("time[datetime]");
    if (!time && data.entry_id !== null) { location.reload(); return; }
    if (time && data.created_at) time.setAttribute("datetime", data.created_at);
    data.fields.forEach(function (field) {
      var box = $('[data-field="' + field.field + '"]');
      if (box) showValue(box, field);
    });
    var entry = $("[data-entry]");
    if (entry && data.entry_id !== null) entry.textContent = data.entry_id;
    setTrouble(data.stale, Boolean(data.upstream_error));
    var head = data.fields[0];
    if (head && head.display !== null) {
      doc.title = head.display + (head.numeric && head.unit ? " " + head.unit : "") + " · " + data.title;
    }
    showTime();
    applyUnits();
  }
  function setTrouble(stale, unreachable) {
    var badge = $("[data-stale]"), note = $("[data-note]");
    if (badge) badge.hidden = !stale;
    if (note) note.hidden = !unreachable;
  }
  function updateCards(cards) {
    cards.forEach(function (card) {
      var box = $('[data-card="' + card.name + '"]'), time = box && $("time[datetime]", box);
      if (!box || (card.headline && !time) || (!card.headline && time)) { location.reload(); return; }
      if (card.headline) {
        time.setAttribute("datetime", card.created_at);
        var head = card.headline;
        showValue(box, { display: head.display, unit: head.unit, numeric: /^[-+]?[0-9.]+$/.test(head.display || "") });
        $("[data-stale]", box).hidden = !card.stale;
      }
      var note = $("[data-error]", box);
      note.hidden = !card.error;
      if (card.error) note.textContent = card.error.title + (card.headline ? ": showing the last reading we have" : ". " + card.error.message);
    });
    showTime();
    applyUnits();
  }

  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    return fetch(api, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 304) { showTime(); return; }
        if (!response.ok) { setTrouble(true, true); return; }
        etag = response.headers.get("ETag");
        return response.json().then(overview ? updateCards : update);
      })
      .catch(function () { setTrouble(true, true); });
  }
  function schedule() {
    clearTimeout(timer);
    if (!doc.hidden) timer = setTimeout(function () { poll().then(schedule); }, every);
  }
  doc.addEventListener("visibilitychange", function () {
    if (doc.hidden) { clearTimeout(timer); return; }
    poll().then(schedule);
  });

  showTime();
  applyUnits();
  setInterval(showTime, 30000);
  schedule();
})();
