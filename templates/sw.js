/* ThingSpeak Glance service worker: keeps the last page and JSON of each dashboard seen,
   for when the phone has no network. Same origin only; imports nothing. */
"use strict";
// The server writes the hash of the deploy's templates here, so a new deploy is a new
// worker with a new cache, and the old cache goes with the old worker.
var CACHE = "glance-__BUILD__";
var OFFLINE = "X-Glance-Offline";

// A private page's copy is kept apart, with the moment its session lapses
// (X-Glance-Private-Until, epoch seconds): a browser that is signed out is never shown one.
var PRIVATE = CACHE + "-private";
var UNTIL = "X-Glance-Private-Until";

function isPrivate(response) {
  return /(^|,)\s*private\b/.test(response.headers.get("Cache-Control") || "");
}

// The server's answers to a browser nobody is signed in on any more (the session lapsed,
// was revoked, or signed out elsewhere): 401 for data, a redirect to /signin for a page,
// the overview's sign-in link.
function signedOut(response) {
  return response.status === 401 || response.type === "opaqueredirect"
    || /rel="sign-in"/.test(response.headers.get("Link") || "");
}

// The newest answer for a URL is the one kept: a public copy replaces a private one and back.
// (caches.open would create the other cache; a browser that never signs in has none.)
function keep(key, response) {
  var mine = isPrivate(response);
  var other = mine ? CACHE : PRIVATE;
  return caches.open(mine ? PRIVATE : CACHE).then(function (cache) {
    return cache.put(key, response);
  }).then(function () { return caches.has(other); }).then(function (has) {
    return has && caches.open(other).then(function (cache) { return cache.delete(key); });
  });
}

function privateCopy(key) {
  return caches.has(PRIVATE).then(function (has) {
    return has && caches.open(PRIVATE).then(function (cache) {
      return cache.match(key, { ignoreVary: true }).then(function (mine) {
        if (!mine) return undefined;
        if (Number(mine.headers.get(UNTIL)) * 1000 > Date.now()) return mine;
        return cache.delete(key).then(function () { return undefined; });
      });
    });
  });
}

function copyOf(key) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(key, { ignoreVary: true });
  }).then(function (saved) { return saved || privateCopy(key); });
}

// The page that installs the worker was loaded before it: keep a copy of it (and of any
// other open page) now, or the first visit would leave nothing to show offline.
self.addEventListener("install", function (event) {
  self.skipWaiting();
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
    .then(function (clients) {
      return Promise.all(clients.map(function (client) {
        var key = client.url.split("#")[0];
        return fetch(key).then(function (response) {
          // Sent elsewhere (to sign in): not this page, nothing to keep.
          if (response.status === 200 && !response.redirected) return keep(key, response);
          return null;
        }).catch(function () { /* not a page to keep */ });
      }));
    }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("glance-") === 0 && name !== CACHE && name !== PRIVATE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function kept(request) {
  if (request.method !== "GET") return false;
  var url = new URL(request.url);
  return url.origin === location.origin
    && (request.mode === "navigate" || /^\/api\/(d\/|dashboards$|latest$)/.test(url.pathname));
}

// Marked as coming from the cache: the page then says "Offline" instead of passing an old
// reading off as the current one.
function fromCache(saved, page) {
  var headers = new Headers(saved.headers);
  headers.set(OFFLINE, "1");
  return saved.text().then(function (body) {
    if (page) body = body.replace("<main", "<main data-offline");
    return new Response(body, { status: saved.status, statusText: saved.statusText, headers: headers });
  });
}

function neverSeen() {
  return new Response(
    "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width\">"
      + "<title>Offline</title><p>Offline. This page has not been opened on this phone yet; "
      + "it will load once the network is back.</p></html>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } }
  );
}

// Network first: the cache answers only when the network does not, so nobody is shown
// an old reading while a new one is reachable.
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (!kept(request)) return;
  var page = request.mode === "navigate";
  var key = request.url.split("#")[0];
  event.respondWith(fetch(request).then(function (response) {
    if (response.status === 200) {
      event.waitUntil(keep(key, response.clone()));
    } else if (signedOut(response)) {
      event.waitUntil(caches.delete(PRIVATE));
    }
    return response;
  }, function (failure) {
    return copyOf(key).then(function (saved) {
      if (saved) return fromCache(saved, page);
      if (page) return neverSeen();
      throw failure;
    });
  }));
});

// Alert notifications (Web Push): a worker's scope has one script, so they live here too.
// The server sends {"title", "body", "tag", "url"} (chalicelib/alerts/wording.py Notice.push_payload).
self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data ? event.data.text() : "" };
  }
  var url = typeof data.url === "string" ? data.url : "/";
  var options = {
    body: typeof data.body === "string" ? data.body : "",
    icon: "/icon-192.png",
    badge: "/icon-192.png",
    // One notification per dashboard and condition: "back" replaces "quiet" on the phone
    // instead of piling up under it.
    tag: typeof data.tag === "string" && data.tag ? data.tag : "glance:" + url,
    renotify: true, // a replaced message still alerts: it is news
    data: { url: url }
  };
  // Every push must show something (userVisibleOnly), or browsers revoke the subscription.
  event.waitUntil(self.registration.showNotification(data.title || "ThingSpeak Glance", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var wanted = (event.notification.data && event.notification.data.url) || "/";
  var url = new URL(wanted, self.location.origin);
  // Only our own pages: a message can never send the phone elsewhere.
  if (url.origin !== self.location.origin) url = new URL("/", self.location.origin);
  function open() { return self.clients.openWindow(url.href); }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      var i;
      for (i = 0; i < windows.length; i++) {
        if (windows[i].url.split("#")[0] === url.href) return windows[i].focus();
      }
      // Another of our pages is open: show the dashboard there rather than in a new tab.
      // navigate() works only on a page this worker controls, hence the fallback.
      for (i = 0; i < windows.length; i++) {
        if (windows[i].frameType === "top-level" && "navigate" in windows[i]) {
          return windows[i].navigate(url.href).then(function (client) {
            return client ? client.focus() : open();
          }, open);
        }
      }
      return open();
    })
  );
});
