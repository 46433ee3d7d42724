// The "Notify me" bell: subscribes this browser to a dashboard's alerts (Web Push).
// Needs in the page: <button type="button" data-bell="DASHBOARD" aria-pressed="false" hidden>
// Notify me</button> and <p data-bell-note hidden></p>; a service worker at /sw.js with the
// handlers of sw-push.js; its own sha256 in the CSP's script-src (connect-src 'self' is enough).
(function () {
  "use strict";
  var button = document.querySelector("[data-bell]");
  var note = document.querySelector("[data-bell-note]");
  if (!button) return;
  var dashboard = button.getAttribute("data-bell");
  var KEY = "glance-bell"; // the dashboards this browser asked alerts for
  var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  var standalone = navigator.standalone === true ||
    (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

  function say(text) {
    if (!note) return;
    note.textContent = text || "";
    note.hidden = !text;
  }
  function chosen() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function remember(on) {
    var list = chosen().filter(function (name) { return name !== dashboard; });
    if (on) list.push(dashboard);
    try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* private mode */ }
    return list;
  }
  function show(on) {
    button.hidden = false;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "Notifications on" : "Notify me";
  }
  function bytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") +
      "===".slice((base64url.length + 3) % 4));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  function sameKey(subscription, key) {
    var held = subscription.options && subscription.options.applicationServerKey;
    if (!held) return true; // older browsers do not say: trust it
    var a = new Uint8Array(held), b = bytes(key);
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function send(method, subscription) {
    return fetch("/api/push/subscriptions", {
      method: method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ dashboard: dashboard, subscription: subscription.toJSON() })
    }).then(function (response) {
      if (response.ok) return response;
      return response.json().then(function (body) {
        throw new Error((body && body.error && body.error.message) || "The server said no.");
      }, function () { throw new Error("The server said no (" + response.status + ")."); });
    });
  }

  if (!supported) {
    if (ios && !standalone) {
      // Safari on iPhone and iPad offers push only to pages added to the Home Screen.
      button.hidden = false;
      button.textContent = "Notify me";
      button.addEventListener("click", function () {
        say("To get notifications on an iPhone or iPad, add this page to your Home Screen " +
          "(Share, then Add to Home Screen) and open it from there.");
      });
    }
    return;
  }

  var publicKey = null, registration = null;
  fetch("/api/push/key").then(function (response) {
    return response.ok ? response.json() : null; // 404: alerts are off; keep the bell hidden
  }).then(function (body) {
    if (!body || !body.publicKey) return null;
    publicKey = body.publicKey;
    return navigator.serviceWorker.ready;
  }).then(function (ready) {
    if (!ready) return null;
    registration = ready;
    return registration.pushManager.getSubscription();
  }).then(function (subscription) {
    if (!registration) return;
    var on = !!subscription && chosen().indexOf(dashboard) >= 0 &&
      Notification.permission === "granted" && sameKey(subscription, publicKey);
    show(on);
    // Each visit renews the subscription on the server, which forgets unseen ones.
    if (on) send("POST", subscription).catch(function () { /* the next visit tries again */ });
  }).catch(function () { /* no bell without a working service worker */ });

  button.addEventListener("click", function () {
    if (!registration || !publicKey) return;
    button.disabled = true;
    say("");
    var on = button.getAttribute("aria-pressed") === "true";
    (on ? turnOff() : turnOn()).catch(function (error) {
      say(error.message || String(error));
    }).then(function () { button.disabled = false; });
  });

  function turnOn() {
    // Asked inside the click: browsers refuse a permission prompt out of the blue.
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error("Notifications are blocked for this site: allow them in the " +
          "browser's site settings, then tap the bell again.");
      }
      return registration.pushManager.getSubscription();
    }).then(function (old) {
      if (old && !sameKey(old, publicKey)) return old.unsubscribe().then(function () { return null; });
      return old;
    }).then(function (old) {
      return old || registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: bytes(publicKey)
      });
    }).then(function (subscription) {
      return send("POST", subscription);
    }).then(function () {
      remember(true);
      show(true);
      say("You will be notified when this dashboard needs you.");
    });
  }

  function turnOff() {
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (!subscription) return null;
      return send("DELETE", subscription).then(function () {
        // One subscription serves every dashboard of this site: keep it while one is on.
        return remember(false).length ? null : subscription.unsubscribe();
      });
    }).then(function () {
      remember(false);
      show(false);
    });
  }
})();
