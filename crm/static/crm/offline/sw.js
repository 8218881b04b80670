// The service worker of the offline app (issue 18), served as /sw.js with the scope "/".
//
// It keeps the app shell: the page /mobil/ and the static files it loads. The page is asked
// of the network first (so it is always fresh, and a logged-out user is sent to the login
// page) and taken from the cache only when the network fails. Nothing else is cached: API
// answers hold person data and live only in the app's encrypted IndexedDB store, and every
// other page goes to the network as if there were no service worker.
//
// Logging out answers Clear-Site-Data: "cache", "storage", which empties this cache too.
"use strict";

var CACHE = "knudepunkt-offline-v1";
var APP = "/mobil/";
var STATIC = [
  "/static/css/knudepunkt.css",
  "/static/favicon.svg",
  "/static/crm/offline/app.css",
  "/static/crm/offline/app.js",
  "/static/crm/offline/rules.js",
  "/static/crm/offline/store.js",
];

// A page worth keeping: the app itself, not a login page it was sent on to.
function isApp(response) {
  return response && response.ok && !response.redirected && new URL(response.url).pathname === APP;
}

function keepApp(cache) {
  return fetch(APP, { credentials: "same-origin" }).then(function (response) {
    if (isApp(response)) return cache.put(APP, response);
  }).catch(function () { /* offline while installing: the page is kept on its next visit */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(STATIC).then(function () { return keepApp(cache); });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) {
      return caches.delete(name);
    }));
  }).then(function () { return self.clients.claim(); }));
});

function appPage(request) {
  return fetch(request).then(function (response) {
    if (isApp(response)) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(APP, copy); });
    } else if (response.redirected || response.status === 401 || response.status === 403) {
      // Logged out or no longer allowed: the kept page goes too.
      caches.open(CACHE).then(function (cache) { cache.delete(APP); });
    }
    return response;
  }).catch(function () {
    return caches.match(APP).then(function (kept) { return kept || Response.error(); });
  });
}

function staticFile(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (kept) { return kept || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === APP && request.mode === "navigate") {
    event.respondWith(appPage(request));
  } else if (STATIC.indexOf(url.pathname) !== -1) {
    event.respondWith(staticFile(request));
  }
  // Everything else, /api/ included, goes to the network untouched.
});
