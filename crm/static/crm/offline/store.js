// The phone's store for the offline app: IndexedDB, written plainly.
//
// One database, "knudepunkt-offline", with three object stores:
//   keys:   the AES-GCM key (a CryptoKey made non-extractable: script can use it, but can
//           never read its bytes out, so a copy of the database files alone is not enough),
//   data:   the bundle (companies, founders, follow-ups) and the owner's user id,
//   outbox: what waits to be sent, one record per entry.
// Every value is stored as {iv, box}: the JSON of the value encrypted with the key, a fresh
// 12-byte IV each time. Where the browser has no Web Crypto (a page not served over HTTPS),
// values are stored as they are and `encrypted` says so.
(function (root) {
  "use strict";

  var NAME = "knudepunkt-offline";
  var VERSION = 1;
  var dbPromise = null;
  var keyPromise = null;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    if (!dbPromise) {
      var req = indexedDB.open(NAME, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        ["keys", "data", "outbox"].forEach(function (name) {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
        });
      };
      dbPromise = request(req).then(function (db) {
        // Another tab deletes the database (logout, "Slet data"): let it.
        db.onversionchange = function () { db.close(); dbPromise = null; keyPromise = null; };
        return db;
      });
    }
    return dbPromise;
  }

  function tx(storeName, mode, work) {
    return open().then(function (db) {
      var store = db.transaction(storeName, mode).objectStore(storeName);
      return request(work(store));
    });
  }

  var encrypted = !!(root.crypto && root.crypto.subtle);

  function key() {
    if (!encrypted) return Promise.resolve(null);
    if (!keyPromise) {
      keyPromise = tx("keys", "readonly", function (s) { return s.get("aes"); }).then(function (found) {
        if (found) return found;
        return crypto.subtle
          .generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"])
          .then(function (made) {
            return tx("keys", "readwrite", function (s) { return s.put(made, "aes"); }).then(function () {
              return made;
            });
          });
      });
    }
    return keyPromise;
  }

  function seal(value) {
    if (!encrypted) return Promise.resolve({ plain: value });
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var bytes = new TextEncoder().encode(JSON.stringify(value));
    return key().then(function (k) {
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, bytes);
    }).then(function (box) { return { iv: iv, box: box }; });
  }

  function unseal(stored) {
    if (stored === undefined || stored === null) return Promise.resolve(null);
    if ("plain" in stored) return Promise.resolve(stored.plain);
    return key().then(function (k) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: stored.iv }, k, stored.box);
    }).then(function (bytes) { return JSON.parse(new TextDecoder().decode(bytes)); });
  }

  function put(storeName, id, value) {
    return seal(value).then(function (sealed) {
      return tx(storeName, "readwrite", function (s) { return s.put(sealed, id); });
    });
  }

  function get(storeName, id) {
    return tx(storeName, "readonly", function (s) { return s.get(id); }).then(unseal);
  }

  function remove(storeName, id) {
    return tx(storeName, "readwrite", function (s) { return s.delete(id); });
  }

  function all(storeName) {
    return tx(storeName, "readonly", function (s) { return s.getAll(); }).then(function (rows) {
      return Promise.all(rows.map(unseal));
    });
  }

  function clearStore(storeName) {
    return tx(storeName, "readwrite", function (s) { return s.clear(); });
  }

  // Everything, the key included: the database is deleted.
  function wipe() {
    var closing = dbPromise ? dbPromise.then(function (db) { db.close(); }) : Promise.resolve();
    dbPromise = null;
    keyPromise = null;
    return closing.then(function () { return request(indexedDB.deleteDatabase(NAME)); });
  }

  root.KnudepunktStore = {
    NAME: NAME,
    encrypted: encrypted,
    put: put,
    get: get,
    remove: remove,
    all: all,
    clear: clearStore,
    wipe: wipe,
  };
})(typeof self !== "undefined" ? self : this);
