// The "Notify me" bell: subscribes this browser to a dashboard's alerts (Web Push).
// Served as /bell.js (CSP script-src 'self') and loaded only on the dashboard pages of a site
// with alerts set up. Needs the page's <button data-bell="DASHBOARD" hidden> (_bell.html) and
// the service worker /sw.js that glance.js registers, which shows the notifications.
(function () {
  "use strict";
  var button = document.querySelector("[data-bell]");
  if (!button) return;
  var dashboard = button.getAttribute("data-bell");
  var KEY = "glance-bell"; // the dashboards this browser asked alerts for
  var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (/Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1); // iPadOS says Mac
  var standalone = navigator.standalone === true ||
    (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  var note = null;

  // The note goes under the header (a flex row), made empty when the bell appears, so that
  // screen readers know the live region before it first speaks.
  function makeNote() {
    var header = button.closest("header") || button.parentNode;
    note = document.createElement("p");
    note.className = "note";
    note.setAttribute("role", "status");
    note.setAttribute("data-bell-note", "");
    note.hidden = true;
    header.parentNode.insertBefore(note, header.nextSibling);
  }
  function say(text) {
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
  // The label says what a tap does, so it needs no separate pressed state.
  function show(on) {
    if (!note) makeNote();
    button.textContent = on ? "Stop notifying" : "Notify me";
    button.setAttribute("data-on", on ? "true" : "false");
    button.hidden = false;
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

  // Our own errors (plain Error) already say what to do; the browser's do not.
  function explain(error) {
    if (error && error.name === "Error" && error.message) return error.message;
    if (error && error.name === "TypeError") {
      return "The site could not be reached: check the connection and try again.";
    }
    return "This browser could not set up notifications just now; try again later.";
  }

  if (!supported) {
    if (ios && !standalone) {
      // Safari on iPhone and iPad offers push only to pages added to the Home Screen.
      show(false);
      button.addEventListener("click", function () {
        say("To get notifications on an iPhone or iPad, add this page to your Home Screen " +
          "(Share, then Add to Home Screen) and open it from there.");
      });
    }
    return;
  }

  var publicKey = null, registration = null;
  fetch("/api/push/key").then(function (response) {
    return response.ok ? response.json() : null; // alerts not ready: keep the bell hidden
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
    var on = button.getAttribute("data-on") === "true";
    (on ? turnOff() : turnOn()).catch(function (error) {
      say(explain(error));
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
      say("Notifications for this dashboard are off.");
    });
  }
})();
