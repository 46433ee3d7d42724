(function () {
  "use strict";
  var doc = document;
  var main = doc.querySelector("main");
  if (!main) return;
  var toggle = doc.querySelector("[data-unit-toggle]");
  var KEY = "glance-temperature-unit";
  var etag = null, timer = null, offline = false, trouble = false;

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
    // The field page's lowest, highest and table: the viewer's own zone, not the server's UTC.
    // One formatter for them all: toLocaleString with options builds a new one per call,
    // milliseconds apiece on a phone, for up to 35 times on a field page.
    var f = {};
    all("time[data-local]").forEach(function (time) {
      var when = new Date(time.getAttribute("datetime")), s = time.getAttribute("data-local");
      f[s] = f[s] || new Intl.DateTimeFormat([], {
        month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
        second: s === "s" ? "2-digit" : undefined  // a reading, not an average
      });
      if (!isNaN(when.getTime())) time.textContent = f[s].format(when);
    });
  }

  // A number in the viewer's own digits ("76,6" on a German phone), with the decimals the
  // server chose; anything not a plain decimal number is left as it is.
  var formats = {};
  function local(text) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) return text;
    var d = (text.split(".")[1] || "").length;
    var f = formats[d] || (formats[d] = new Intl.NumberFormat(undefined, { minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: false }));
    return f.format(Number(text) || 0);
  }
  function preferred() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function convert(text, from, to) {
    var x = parseFloat(text);
    if (from === to || !isFinite(x)) return text;
    var decimals = (String(text).split(".")[1] || "").length;
    var y = to === "°C" ? (x - 32) / 1.8 : x * 1.8 + 32;
    return y.toFixed(decimals).replace(/^-(0(\.0+)?)$/, "$1");
  }
  // [unit as sent, unit shown]: only temperatures follow the toggle.
  function units(box) {
    var unit = box && $("[data-u]", box), from = unit ? unit.getAttribute("data-u") : "";
    var want = preferred(), temperature = from === "°C" || from === "°F";
    return [from, temperature && (want === "°C" || want === "°F") ? want : from, temperature];
  }
  // Every field's values in the unit chosen (temperatures) and the viewer's digits.
  function applyUnits() {
    var shown = null;
    all("[data-field]").forEach(function (box) {
      var u = units(box);
      if (u[2]) shown = shown || u[1];
      // Not the charts' own data-v: those are lists, converted one point at a time.
      all("[data-v]:not(svg)", box).forEach(function (el) { el.textContent = local(convert(el.getAttribute("data-v"), u[0], u[1])); });
      all("[data-u]", box).forEach(function (el) { el.textContent = u[1]; });
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

  // Scrubbing: the real point nearest the pointer, never an interpolated value.
  var tip, dot, say, active = null, finger = null;
  function make(tag, className, parent) {
    var el = doc.createElement(tag);
    if (className) el.className = className;
    if (parent) parent.appendChild(el);
    return el;
  }
  function list(s, name) { return (s.getAttribute(name) || "").split(/\s+/).filter(Boolean); }
  // Each point is one vertex of the curve, in order: after each "M", x y pairs (lines to
  // them), and "h0" after a lone point; so its height is every second number.
  function heights(s) {
    var y = [], d = $("path", s).getAttribute("d") || "";
    d.split("M").forEach(function (part) {
      var n = part.replace("h0", "").split(" ").filter(Boolean);
      for (var i = 1; i < n.length; i += 2) y.push(Number(n[i]));
    });
    return y;
  }
  function chart(s) {
    var at = 0, t = list(s, "data-t").map(function (d) { return (at += Number(d)); });
    return {
      s: s, t: t, y: heights(s), v: list(s, "data-v"), i: t.length - 1,
      what: s.getAttribute("data-what") || "reading", box: s.viewBox.baseVal,
      a: Number(s.getAttribute("data-start")), b: Number(s.getAttribute("data-end"))
    };
  }
  function nearest(c, x) {
    var r = c.s.getBoundingClientRect(), when = c.a + (x - r.left) / r.width * (c.b - c.a);
    var lo = 0, hi = c.t.length - 1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (c.t[mid] < when) lo = mid + 1; else hi = mid;
    }
    return lo > 0 && when - c.t[lo - 1] < c.t[lo] - when ? lo - 1 : lo;
  }
  // The readout fits in the viewport and keeps clear of the finger: above it, else beside
  // it, else below it.
  function place(px, fx, fy, top, gap) {
    var w = tip.offsetWidth, h = tip.offsetHeight, m = 6;
    var vw = doc.documentElement.clientWidth, vh = doc.documentElement.clientHeight;
    var x = Math.min(Math.max(px - w / 2, m), vw - w - m), y = Math.min(Math.max(fy - h / 2, m), vh - h - m);
    var spots = [[x, Math.min(fy - gap, top - m) - h], [fx + gap, y], [fx - gap - w, y], [x, fy + gap]];
    var spot = spots.filter(function (p) {
      return p[0] >= m && p[1] >= m && p[0] + w <= vw - m && p[1] + h <= vh - m;
    })[0] || [x, Math.max(m, Math.min(spots[0][1], vh - h - m))];
    tip.style.left = spot[0] + "px";
    tip.style.top = spot[1] + "px";
  }
  function show(c, i, fx, fy, gap) {
    if (!c.t.length) return "";
    c.i = i = Math.max(0, Math.min(i, c.t.length - 1));
    var r = c.s.getBoundingClientRect(), fig = c.s.parentNode, f = fig.getBoundingClientRect();
    var px = r.left + (c.t[i] - c.a) / (c.b - c.a) * r.width;
    var py = r.top + (c.y[i] - c.box.y) / c.box.height * r.height;
    if (!tip) {
      tip = make("div", "tip", main);
      tip.setAttribute("aria-hidden", "true");
      make("b", "", tip); make("span", "at", tip); make("span", "", tip);
      dot = make("span", "dot");
    }
    if (dot.parentNode !== fig) fig.appendChild(dot);
    dot.style.left = px - f.left + "px";
    dot.style.top = py - f.top + "px";
    var u = units(c.s.closest("[data-field]")), when = new Date(c.t[i] * 1000);
    var parts = [
      local(convert(c.v[i], u[0], u[1])) + (u[1] ? "\u202f" + u[1] : ""),
      when.toLocaleString([], { month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: c.what === "reading" ? "2-digit" : undefined }),
      c.what === "reading" ? "" : c.what
    ];
    parts.forEach(function (text, n) { tip.childNodes[n].textContent = text; });
    tip.childNodes[1].setAttribute("data-at", when.toISOString());
    tip.hidden = dot.hidden = false;
    place(px, fx === null ? px : fx, fy === null ? py : fy, Math.min(r.top, py), gap);
    return parts.filter(Boolean).join(", ");
  }
  function hide() {
    active = finger = null;
    if (tip) tip.hidden = dot.hidden = true;
  }
  function grab(s) {
    if (!s.getAttribute("data-t")) return null;
    if (!active || active.s !== s) active = chart(s);
    return active;
  }
  function point(e) {
    var c = grab(e.currentTarget);
    finger = { s: e.currentTarget, x: e.clientX, y: e.clientY, gap: e.pointerType === "mouse" ? 14 : 32 };
    if (c) show(c, nearest(c, finger.x), finger.x, finger.y, finger.gap);
  }
  function step(e) {
    var c = grab(e.currentTarget), keys = { ArrowLeft: -1, ArrowRight: 1 };
    if (!c) return;
    var i = e.key === "Home" ? 0 : e.key === "End" ? c.t.length - 1 : keys[e.key] ? c.i + keys[e.key] : null;
    if (i === null) return;
    e.preventDefault();
    say.textContent = show(c, i, null, null, 10);
  }
  function scrubbable(s) {
    s.tabIndex = 0;
    s.addEventListener("pointerdown", point);
    s.addEventListener("pointermove", point);
    ["pointerup", "pointercancel", "pointerleave", "blur"].forEach(function (name) { s.addEventListener(name, hide); });
    s.addEventListener("keydown", step);
    s.addEventListener("focus", function () {
      var c = grab(s);
      if (c && s.matches(":focus-visible")) show(c, c.i, null, null, 10);
    });
  }
  // Time ticks at the viewer's own midnight and every 6 hours (days on a longer chart):
  // the server drew UTC's, and says so.
  function ticks(s) {
    var ax = s.nextElementSibling, a = +s.getAttribute("data-start"), b = +s.getAttribute("data-end");
    if (!ax || !ax.classList.contains("ax") || !(b > a)) return;
    var long = b - a > 172800, weeks = b - a > 864000, found = [], at = new Date(a * 1000);
    at.setMinutes(0, 0, 0);
    for (; at / 1000 <= b; at = new Date(+at + 3600000)) {
      var h = at.getHours();
      if (at / 1000 >= a && !at.getMinutes() && !(long ? h : h % 6)) found.push(new Date(at));
    }
    ax.textContent = "";
    found.forEach(function (t, n) {
      var x = (t / 1000 - a) / (b - a) * 100, i = make("i", "", ax);
      i.style.setProperty("--p", x.toFixed(2) + "%");
      if (!ax.classList.contains("lb") || x < 5 || x > 95 || (weeks && (found.length - 1 - n) % 7)) return;
      make("span", "", i).textContent = weeks ? t.toLocaleDateString([], { day: "numeric", month: "short" })
        : long || !t.getHours() ? t.toLocaleDateString([], { weekday: "short" }) : t.toLocaleTimeString([], { hour: "numeric" });
    });
  }
  // Since the viewer's midnight, from the points the chart holds: each UTC half hour's
  // lowest and highest are among them (an amount's quarter-hour sums are sent).
  function today(s) {
    var box = $("[data-today]", s.parentNode);
    if (!box) return;
    var c = chart(s), m = new Date(), b = all("b", box), sums = list(box, "data-sums"), lo, hi, total = 0, d = 0;
    m = m.setHours(0, 0, 0, 0) / 1000;
    c.t.forEach(function (t, i) {
      var v = Number(c.v[i]);
      if (t < m || isNaN(v)) return;
      if (lo === undefined || v < +c.v[lo]) lo = i;
      if (hi === undefined || v > +c.v[hi]) hi = i;
    });
    sums.slice(1).forEach(function (v, n) {
      if (+sums[0] + n * 900 >= m) { total += Number(v); d = Math.max(d, (v.split(".")[1] || "").length); }
    });
    box.hidden = c.a > m || (sums.length ? +sums[0] > m : lo === undefined);
    if (sums.length) b[0].setAttribute("data-v", total.toFixed(d));
    else if (lo !== undefined) { b[0].setAttribute("data-v", c.v[lo]); b[1].setAttribute("data-v", c.v[hi]); }
  }
  all("[data-p]").forEach(function (el) { el.style.setProperty("--p", el.getAttribute("data-p") + "%"); });
  var charts = all(".trend svg");
  charts.forEach(function (s) { ticks(s); today(s); });
  if (charts.length) {
    charts.forEach(scrubbable);
    say = make("p", "visually-hidden", main);
    say.setAttribute("aria-live", "polite");
    addEventListener("scroll", function () { if (active && !active.s.matches(":focus")) hide(); }, { passive: true });
  }

  // Offline: the service worker answers from its copy; say so, and show the copy's real age.
  var note = $("[data-note]"), noteText = note && note.textContent;
  function mark() {
    if (note) {
      note.textContent = offline ? "Offline: this is the last reading this phone received." : noteText;
      note.hidden = !offline && !trouble;
    }
  }
  function setOffline(on) {
    offline = on;
    all("[data-when]").forEach(function (box) {
      var badge = $(".off", box);
      if (!badge && on && $("time[datetime]", box)) {
        badge = make("strong", "badge off", box);
        badge.textContent = "Offline";
      }
      if (badge) badge.hidden = !on;
    });
    mark();
  }
  function setTrouble(stale, unreachable) {
    var badge = $("[data-stale]");
    if (badge) badge.hidden = !stale;
    trouble = unreachable;
    mark();
  }
  if ("serviceWorker" in navigator) {
    var had = Boolean(navigator.serviceWorker.controller);
    // A new deploy's worker took over (not the first one): load its pages rather than keep
    // running old script.
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (had) location.reload();
      had = true;
    });
    navigator.serviceWorker.register("/sw.js").catch(function () { /* offline copies are a bonus */ });
  }

  var api = main.hasAttribute("data-refresh") && main.getAttribute("data-api");
  // Back online: ask at once, and again every 1.5 s while the network still is not there
  // (the first request often goes out before it is), then the usual rhythm.
  function back(tries) {
    poll().then(function (fresh) {
      if (fresh || !tries) schedule(); else timer = setTimeout(function () { back(tries - 1); }, 1500);
    });
  }
  addEventListener("online", function () {
    if (api) { clearTimeout(timer); back(5); } else if (offline) location.reload();
  });
  addEventListener("offline", function () { setOffline(true); });
  showTime();
  applyUnits();
  setOffline(main.hasAttribute("data-offline") || navigator.onLine === false);
  // The browser lays the page out before its first paint in any case; doing it here puts
  // that work in this script's task, which runs before the first paint, and so Lighthouse's
  // simulation counts it with the paint rather than as a task blocking the page after it.
  void main.offsetHeight;
  setInterval(showTime, 30000);
  if (!api) return;
  var every = Math.max(2, Number(main.getAttribute("data-refresh")) || 60) * 1000;
  var overview = main.hasAttribute("data-overview");

  function span(className, text, attribute, value) {
    var el = make("span", className);
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
      if (field.compass) { value.appendChild(span("compass", field.compass)); value.appendChild(doc.createTextNode(" ")); }
      value.appendChild(span("number", field.display, "data-v", field.display));
      if (field.unit) value.appendChild(span("unit", field.unit, "data-u", field.unit));
    } else {
      value.appendChild(span("text", field.display));
    }
  }
  // The chart redrawn in place from the JSON's trend; false when the page must reload.
  function showTrend(box, trend, unit, sums) {
    var fig = $(".trend", box), s = fig && $("svg", fig), last = 0;
    if (!trend) { if (fig) fig.hidden = true; return true; }
    if (!s) return false;
    // A finger still on this chart keeps its readout: read again at the same place below.
    var held = finger && finger.s === s ? finger : null;
    if (active && active.s === s) { if (held) active = null; else hide(); }
    fig.hidden = false;
    s.setAttribute("data-start", Date.parse(trend.start) / 1000);
    s.setAttribute("data-end", Date.parse(trend.end) / 1000);
    s.setAttribute("data-t", trend.t.map(function (t) { var d = t - last; last = t; return d; }).join(" "));
    s.setAttribute("data-v", trend.v.join(" "));
    s.setAttribute("data-what", trend.what);
    $("path", s).setAttribute("d", trend.path);
    var box2 = $("[data-today]", fig);
    if (box2 && sums) box2.setAttribute("data-sums", sums);
    all("figcaption > span:not(.today) b[data-v]", fig).forEach(function (b, n) {
      var v = n ? trend.high : trend.low;
      b.setAttribute("data-v", v);
      b.textContent = v;
    });
    var span = $("[data-span]", fig), label = s.getAttribute("aria-label") || "", cut = label.lastIndexOf(" over the ");
    if (span) span.textContent = trend.span;
    if (cut > 0) {
      s.setAttribute("aria-label", label.slice(0, cut) + " over the " + (/^last/.test(trend.span) ? "" : "last ") + trend.span
        + ", from " + trend.low + " to " + trend.high + (unit ? " " + unit : ""));
    }
    ticks(s);
    today(s);
    var c = held && grab(s);
    if (c) show(c, nearest(c, held.x), held.x, held.y, held.gap);
    return true;
  }
  function update(data) {
    var time = $("time[datetime]");
    if (!time && data.entry_id !== null) { location.reload(); return; }
    if (time && data.created_at) time.setAttribute("datetime", data.created_at);
    var whole = data.fields.every(function (field) {
      var box = $('[data-field="' + field.field + '"]');
      if (box) showValue(box, field);
      return !box || field.trend === undefined || showTrend(box, field.trend, field.unit, field.sums);
    });
    if (!whole) { location.reload(); return; }
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
  function updateCards(cards) {
    cards.forEach(function (card) {
      var box = $('[data-card="' + card.name + '"]'), time = box && $("time[datetime]", box);
      if (!box || (card.headline && !time) || (!card.headline && time)) { location.reload(); return; }
      if (card.headline) {
        time.setAttribute("datetime", card.created_at);
        [card.headline].concat(card.others || []).forEach(function (field) {
          var small = $('[data-field="' + field.field + '"]', box);
          if (small) showValue(small, field);
        });
        $("[data-stale]", box).hidden = !card.stale;
      }
      var error = $("[data-error]", box);
      error.hidden = !card.error;
      if (card.error) error.textContent = card.error.title + (card.headline ? ": showing the last reading we have" : ". " + card.error.message);
    });
    showTime();
    applyUnits();
  }

  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    return fetch(api, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        var saved = response.headers.has("X-Glance-Offline");
        setOffline(saved);
        if (response.status === 304 || (saved && response.headers.get("ETag") === etag)) { showTime(); return !saved; }
        if (!response.ok) { setTrouble(true, true); return false; }
        etag = response.headers.get("ETag");
        return response.json().then(overview ? updateCards : update).then(function () { return !saved; });
      })
      .catch(function () {
        if (navigator.onLine === false) setOffline(true); else setTrouble(true, true);
        return false;
      });
  }
  function schedule() {
    clearTimeout(timer);
    if (!doc.hidden) timer = setTimeout(function () { poll().then(schedule); }, every);
  }
  doc.addEventListener("visibilitychange", function () {
    if (doc.hidden) { clearTimeout(timer); return; }
    poll().then(schedule);
  });
  schedule();
})();
