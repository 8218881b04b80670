// Visits without a connection (issue 18). The page /mobil/ is kept by the service worker
// (sw.js); this script keeps the consultant's companies, founders and follow-ups (the API's
// offline bundle) and an outbox in the phone's encrypted store (store.js), checks a visit with
// the session form's rules (rules.js) and sends the outbox when the phone is online again.
//
// Every entry in the outbox is sent with its own id as the Idempotency-Key: if the answer is
// lost on the way back and the entry is sent again, the server answers the stored answer and
// creates nothing. An entry the server refuses stays, with the reason, until it is put right
// ("Ret"), sent on the server's version ("Send alligevel") or discarded ("Kassér").
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("offline-config").textContent);
  var T = config.texts;
  var Store = window.KnudepunktStore;
  var Rules = window.KnudepunktRules;
  var HOURS = ["hours_before", "hours_during", "hours_after"];
  var state = { bundle: null, outbox: [], subject: null, editing: null, syncing: false };

  // --- Small helpers ----------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function announce(text) { $("sync-status").textContent = text; }

  function pad(n) { return String(n).padStart(2, "0"); }

  function today() {
    var now = new Date();
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  function showDate(iso) {
    if (!iso) return "";
    var p = iso.slice(0, 10).split("-").map(Number);
    return new Date(p[0], p[1] - 1, p[2]).toLocaleDateString(document.documentElement.lang);
  }

  function showTime(iso) {
    return new Date(iso).toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" });
  }

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // The CSRF token from its cookie (fresh after a new login) or, failing that, the page's.
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // Lower case, without accents, ø/æ/å spelled out: "oestergaard" finds "Østergaard".
  function fold(text) {
    return String(text || "").toLowerCase()
      .replace(/ø/g, "oe").replace(/æ/g, "ae").replace(/å/g, "aa")
      .normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  // --- The bundle --------------------------------------------------------------------------

  async function openStored() {
    var owner = await Store.get("data", "owner");
    if (owner !== null && owner !== config.user) await Store.wipe(); // another user's phone data
    await Store.put("data", "owner", config.user);
    state.bundle = await Store.get("data", "bundle");
    state.outbox = await Store.all("outbox");
    if (state.bundle && new Date(state.bundle.expires_at) < new Date()) {
      await dropBundle();
      return true;
    }
    return false;
  }

  async function dropBundle() {
    await Store.remove("data", "bundle");
    state.bundle = null;
  }

  // ``quiet``: after sending, whose result the status line keeps saying.
  async function refreshBundle(quiet) {
    if (quiet !== true) announce(T.loading);
    var response;
    try {
      response = await fetch(config.urls.bundle, { credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch (error) {
      announce(T.load_failed);
      return;
    }
    if (ended(response)) return sessionEnded();
    if (!response.ok) {
      announce(T.load_failed);
      return;
    }
    var bundle = await response.json();
    if (bundle.user && bundle.user.id !== config.user) {
      await Store.wipe(); // logged in as somebody else since this page was kept
      location.reload();
      return;
    }
    await Store.put("data", "bundle", bundle);
    state.bundle = bundle;
    render();
    if (quiet !== true) announce(bundleText());
  }

  // The session has ended: the API refuses, or the request was sent on to the login page.
  function ended(response) {
    return response.status === 401 || response.redirected || (response.status === 403 && !isJson(response));
  }

  function isJson(response) {
    return (response.headers.get("Content-Type") || "").indexOf("json") !== -1;
  }

  async function sessionEnded() {
    await dropBundle(); // the outbox stays, encrypted, to be sent after the next login
    render();
    announce(T.logged_out);
  }

  function bundleText() {
    if (!state.bundle) return T.no_bundle;
    return fmt(T.loaded, { when: showTime(state.bundle.generated_at), until: showTime(state.bundle.expires_at) });
  }

  // --- Subjects: the bundle's companies and founders and the companies waiting in the outbox

  function subjects() {
    var b = state.bundle || { companies: [], founders: [], municipalities: [] };
    var names = {};
    (b.municipalities || []).forEach(function (m) { names[m.id] = m.name; });
    var list = b.companies.map(function (c) {
      var municipality = names[c.municipality] || "";
      return { key: "company:" + c.id, kind: "company", id: c.id, version: c.version, name: c.name, cvr: c.cvr,
               detail: [c.cvr, c.city, municipality].filter(Boolean).join(" · "),
               words: fold([c.name, c.cvr, c.address, c.postcode, c.city, municipality].join(" ")) };
    });
    state.outbox.filter(function (i) { return i.kind === "company"; }).forEach(function (i) {
      var name = fmt(T.new_company, { cvr: i.cvr });
      list.push({ key: "new:" + i.id, kind: "company", ref: i.id, name: name, cvr: i.cvr, detail: "",
                  words: fold(name + " " + i.cvr) });
    });
    b.founders.forEach(function (f) {
      list.push({ key: "founder:" + f.id, kind: "founder", id: f.id, version: f.version, name: f.name,
                  detail: [T.founder, f.cpr_masked, names[f.municipality]].filter(Boolean).join(" · "),
                  words: fold([f.name, names[f.municipality]].join(" ")) });
    });
    return list;
  }

  function findSubject(key) {
    return subjects().filter(function (s) { return s.key === key; })[0];
  }

  function renderFound() {
    var words = fold($("find").value).split(/\s+/).filter(Boolean);
    var list = $("found");
    list.textContent = "";
    if (!words.length) return;
    var found = subjects().filter(function (s) {
      return words.every(function (w) { return s.words.indexOf(w) !== -1; });
    }).slice(0, 20);
    if (!found.length) list.appendChild(el("li", { class: "empty", text: T.no_results }));
    found.forEach(function (s) {
      var button = el("button", { type: "button", class: "link", "data-subject": s.key, text: s.name });
      list.appendChild(el("li", {}, [button, s.detail ? el("span", { class: "detail", text: s.detail }) : null]));
    });
  }

  // --- The visit form ----------------------------------------------------------------------

  function fillChoices() {
    var choices = (state.bundle && state.bundle.choices) || {};
    document.querySelectorAll("#visit-form select[data-choices]").forEach(function (select) {
      var kept = select.value;
      select.textContent = "";
      if (select.dataset.blank) select.appendChild(el("option", { value: "", text: "–" }));
      (choices[select.dataset.choices] || []).forEach(function (pair) {
        select.appendChild(el("option", { value: pair[0], text: pair[1] }));
      });
      select.value = kept;
    });
    var operator = $("v-operator");
    operator.textContent = "";
    config.operators.forEach(function (o) { operator.appendChild(el("option", { value: o.id, text: o.name })); });
    var themes = $("v-themes-list");
    themes.textContent = "";
    (choices.themes || []).forEach(function (pair) {
      var input = el("input", { type: "checkbox", name: "themes", value: pair[0], id: "v-theme-" + pair[0] });
      themes.appendChild(el("label", { class: "check", for: "v-theme-" + pair[0] }, [input, document.createTextNode(" " + pair[1])]));
    });
  }

  function tierOf(operatorId) {
    var o = config.operators.filter(function (x) { return String(x.id) === String(operatorId); })[0];
    return o ? o.tier : "";
  }

  // The online form's defaults: today, the first operator and its tier, a personal visit,
  // guidance of 2 + 4 + 2 hours.
  function defaults() {
    var operator = config.operators[0] ? config.operators[0].id : "";
    return { date: today(), operator: operator, tier: tierOf(operator), channel: "visit", kind: "full", themes: [],
             hours_before: "2", hours_during: "4", hours_after: "2", content: "", screening_done: false,
             screening_result: "", follow_up_on: "" };
  }

  function openVisit(subject, values, editing) {
    state.subject = subject;
    state.editing = editing || null;
    fillChoices();
    var form = $("visit-form");
    var v = values || defaults();
    ["date", "operator", "tier", "channel", "kind", "content", "screening_result", "follow_up_on"].concat(HOURS)
      .forEach(function (name) { form.elements[name].value = v[name] === null || v[name] === undefined ? "" : v[name]; });
    form.elements.screening_done.checked = !!v.screening_done;
    form.querySelectorAll("input[name=themes]").forEach(function (box) { box.checked = v.themes.indexOf(box.value) !== -1; });
    showErrors({});
    $("visit-subject").textContent = subject.name;
    $("visit").hidden = false;
    $("visit").scrollIntoView();
    $("v-date").focus();
  }

  function closeVisit() {
    $("visit").hidden = true;
    state.subject = null;
    state.editing = null;
  }

  function formValues() {
    var form = $("visit-form");
    var v = {};
    ["date", "operator", "tier", "channel", "kind", "content", "screening_result", "follow_up_on"].concat(HOURS)
      .forEach(function (name) { v[name] = form.elements[name].value; });
    HOURS.forEach(function (name) { v[name] = v[name].replace(",", "."); });
    v.screening_done = form.elements.screening_done.checked;
    v.themes = Array.from(form.querySelectorAll("input[name=themes]:checked"), function (box) { return box.value; });
    return v;
  }

  function ruleOptions() {
    return { today: today(), maxAgeDays: config.rules.maxAgeDays, maxHours: config.rules.maxHours, messages: config.rules.messages };
  }

  // The errors beside their fields and in a summary that takes the focus (as forms.js does
  // on the online pages), its links leading to the fields.
  function showErrors(errors) {
    var form = $("visit-form");
    form.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
    var summary = $("visit-errors");
    summary.textContent = "";
    var names = Object.keys(errors);
    summary.hidden = !names.length;
    if (!names.length) return;
    summary.appendChild(el("p", { text: T.errors_title }));
    var list = el("ul");
    names.forEach(function (name) {
      var field = $("v-" + name);
      if (field) {
        var id = "v-" + name + "-error";
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", id);
        field.insertAdjacentElement("afterend", el("p", { id: id, class: "field-error error", text: errors[name] }));
      }
      list.appendChild(el("li", {}, [el("a", { href: "#v-" + name, text: errors[name] })]));
    });
    summary.appendChild(list);
    summary.focus();
  }

  async function queueVisit(event) {
    event.preventDefault();
    var values = formValues();
    var errors = Rules.check(values, ruleOptions());
    showErrors(errors);
    if (Object.keys(errors).length) return;
    var s = state.subject;
    var item = state.editing ? state.outbox.filter(function (i) { return i.id === state.editing; })[0] : null;
    item = item || { id: newId(), seq: Date.now(), kind: "session" };
    item.subject = { kind: s.kind, id: s.id || null, ref: s.ref || null, version: s.version || null, name: s.name };
    item.payload = values;
    item.label = fmt(T.kind_session, { name: s.name, date: showDate(values.date) });
    await save(item, "waiting");
    closeVisit();
    render();
    announce(T.queued);
    sync();
  }

  // --- Follow-ups ---------------------------------------------------------------------------

  function renderFollowUps() {
    var list = $("follow-ups");
    list.textContent = "";
    var rows = (state.bundle && state.bundle.follow_ups) || [];
    rows.forEach(function (f) {
      var li = el("li", { "data-session": f.session }, [
        el("strong", { text: f.subject_name }),
        el("span", { class: "detail", text: " " + showDate(f.follow_up_on) }),
      ]);
      var button = el("button", { type: "button", class: "secondary", "data-follow-up": f.session, text: T.new_follow_up });
      button.addEventListener("click", function () {
        button.hidden = true;
        li.appendChild(followUpForm(f.date, "", function (date) { return queueFollowUp(f, date); }));
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  }

  // A date and a button; ``save(date)`` is called when the date passes the rule.
  function followUpForm(sessionDate, initial, save) {
    var id = "fu-" + newId();
    var input = el("input", { type: "date", id: id, name: "follow_up_on", "aria-describedby": id + "-error" });
    input.value = initial;
    var error = el("p", { id: id + "-error", class: "error" });
    var form = el("form", { class: "follow-up-form", novalidate: "" }, [
      el("label", { for: id, text: T.follow_up_date }), input, error,
      el("button", { type: "submit", text: T.save_follow_up }),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var errors = Rules.followUpErrors(sessionDate, input.value, ruleOptions());
      error.textContent = errors.follow_up_on || errors.date || "";
      if (error.textContent) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      save(input.value);
    });
    return form;
  }

  async function queueFollowUp(row, date, item) {
    item = item || { id: newId(), seq: Date.now(), kind: "follow_up", session: row.session, version: row.version,
                     date: row.date, name: row.subject_name };
    item.follow_up_on = date;
    item.label = fmt(T.kind_follow_up, { name: item.name, date: showDate(date) });
    await save(item, "waiting");
    render();
    announce(T.queued);
    sync();
  }

  // --- A new company by CVR number ---------------------------------------------------------

  function cvrError(cvr) {
    var m = config.rules.messages;
    if (!/^[1-9]\d{7}$/.test(cvr)) return m.cvr;
    var weights = [2, 7, 6, 5, 4, 3, 2, 1];
    var sum = weights.reduce(function (total, w, i) { return total + w * Number(cvr[i]); }, 0);
    return sum % 11 === 0 ? "" : fmt(m.cvr_checksum, { cvr: cvr });
  }

  async function queueCompany(event) {
    event.preventDefault();
    var input = $("c-cvr");
    var cvr = input.value.replace(/\s/g, "");
    var error = cvrError(cvr);
    $("c-cvr-error").textContent = error;
    input.setAttribute("aria-invalid", String(!!error));
    if (error) return input.focus();
    var known = subjects().filter(function (s) { return s.kind === "company" && s.cvr === cvr; })[0];
    if (known) return openVisit(known);
    var item = { id: newId(), seq: Date.now(), kind: "company", cvr: cvr, label: fmt(T.kind_company, { cvr: cvr }) };
    await save(item, "waiting");
    input.value = "";
    render();
    announce(T.queued);
    openVisit(findSubject("new:" + item.id));
    sync();
  }

  // --- The outbox --------------------------------------------------------------------------

  async function save(item, status, reason, extra) {
    item.status = status;
    item.reason = reason || "";
    item.changes = (extra && extra.changes) || [];
    item.serverVersion = (extra && extra.version) || null;
    await Store.put("outbox", item.id, item);
    state.outbox = state.outbox.filter(function (i) { return i.id !== item.id; }).concat([item]);
  }

  async function drop(item) {
    await Store.remove("outbox", item.id);
    state.outbox = state.outbox.filter(function (i) { return i.id !== item.id; });
  }

  function ordered() {
    var rank = { company: 0, session: 1, follow_up: 2 };
    return state.outbox.slice().sort(function (a, b) { return rank[a.kind] - rank[b.kind] || a.seq - b.seq; });
  }

  function renderOutbox() {
    var list = $("outbox");
    list.textContent = "";
    $("outbox-count").textContent = state.outbox.length;
    if (!state.outbox.length) list.appendChild(el("li", { class: "empty", text: T.outbox_empty }));
    ordered().forEach(function (item) {
      var li = el("li", { "data-item": item.id, "data-kind": item.kind, "data-status": item.status }, [
        el("span", { class: "badge status-" + item.status, text: T["status_" + item.status] || item.status }),
        document.createTextNode(" " + item.label),
      ]);
      if (item.reason) li.appendChild(el("p", { class: "reason", text: item.reason }));
      if (item.changes.length) {
        li.appendChild(el("ul", { class: "changes" }, item.changes.map(function (c) {
          return el("li", { text: fmt(T.changed, { label: c.label || c.field || c.name, old: c.old, new: c.new }) });
        })));
      }
      var actions = el("div", { class: "actions" });
      if (item.status === "conflict" && item.serverVersion) actions.appendChild(action(T.send_anyway, "send-anyway", function () { sendAnyway(item); }));
      if (item.kind !== "company" && item.status !== "sending") actions.appendChild(action(T.fix, "fix", function () { fix(item, li); }));
      if (item.status !== "sending") actions.appendChild(action(T.discard, "discard", function () { discard(item); }));
      li.appendChild(actions);
      list.appendChild(li);
    });
    var warning = $("logout-warning");
    warning.hidden = !state.outbox.length;
    warning.textContent = fmt(T.logout_warning, { count: state.outbox.length });
  }

  function action(text, name, handler) {
    var button = el("button", { type: "button", class: "secondary", "data-action": name, text: text });
    button.addEventListener("click", handler);
    return button;
  }

  // Send it on the server's version of the record: the server's changes stand, ours go on top.
  async function sendAnyway(item) {
    if (item.kind === "session") item.subject.version = item.serverVersion;
    if (item.kind === "follow_up") item.version = item.serverVersion;
    await save(item, "waiting");
    render();
    sync();
  }

  function fix(item, li) {
    if (item.kind === "session") {
      var subject = findSubject(item.subject.ref ? "new:" + item.subject.ref : item.subject.kind + ":" + item.subject.id)
        || { kind: item.subject.kind, id: item.subject.id, ref: item.subject.ref, version: item.subject.version, name: item.subject.name };
      if (item.serverVersion) subject = Object.assign({}, subject, { version: item.serverVersion });
      openVisit(subject, item.payload, item.id);
    } else if (!li.querySelector("form")) {
      li.appendChild(followUpForm(item.date, item.follow_up_on, function (date) {
        if (item.serverVersion) item.version = item.serverVersion;
        return queueFollowUp(null, date, item);
      }));
    }
  }

  async function discard(item) {
    if (!window.confirm(T.discard_confirm)) return;
    await drop(item);
    // Visits of a new company that is discarded cannot be sent: they stay, to be discarded too.
    render();
    announce(state.outbox.length ? fmt(T.still_waiting, { count: state.outbox.length }) : T.outbox_empty);
  }

  // --- Sending -----------------------------------------------------------------------------

  function request(item) {
    var headers = { "Content-Type": "application/json", Accept: "application/json",
                    "X-CSRFToken": csrfToken(), "Idempotency-Key": item.id };
    if (item.kind === "company") {
      return { url: config.urls.from_register, method: "POST", headers: headers, body: { cvr: item.cvr } };
    }
    if (item.kind === "follow_up") {
      headers["If-Match"] = item.version;
      return { url: config.urls.sessions + item.session + "/", method: "PATCH", headers: headers,
               body: { follow_up_on: item.follow_up_on } };
    }
    var body = Object.assign({}, item.payload);
    body.operator = Number(body.operator);
    ["follow_up_on", "screening_result", "content"].forEach(function (name) { if (body[name] === "") delete body[name]; });
    if (!body.follow_up_on) body.follow_up_on = null;
    body[item.subject.kind] = item.subject.id;
    if (item.subject.version) body[item.subject.kind + "_version"] = item.subject.version;
    return { url: config.urls.sessions, method: "POST", headers: headers, body: body };
  }

  function fieldErrorsText(data) {
    if (!data || typeof data !== "object") return "";
    if (data.detail) return String(data.detail);
    return Object.keys(data).map(function (name) {
      var value = data[name];
      return Array.isArray(value) ? value.join(" ") : typeof value === "object" ? fieldErrorsText(value) : String(value);
    }).join(" ");
  }

  // One entry: "sent", "kept" (it stays, with its reason) or "stop" (no connection, or no
  // session: nothing more can be sent now).
  async function send(item) {
    var r = request(item);
    var response;
    try {
      response = await fetch(r.url, { method: r.method, headers: r.headers, body: JSON.stringify(r.body),
                                      credentials: "same-origin", redirect: "manual" });
    } catch (error) {
      return "stop";
    }
    if (response.type === "opaqueredirect" || response.status === 401) {
      await sessionEnded();
      return "stop";
    }
    var data = isJson(response) ? await response.json().catch(function () { return null; }) : null;
    if (response.ok) {
      await sent(item, data || {});
      return "sent";
    }
    var status = response.status;
    if (status === 403 && data && /CSRF/.test(data.detail || "")) {
      await sessionEnded();
      return "stop";
    }
    if (status === 412) await save(item, "conflict", fieldErrorsText(data), { changes: data.changes, version: data.version });
    else if (status === 409) await save(item, "conflict", fieldErrorsText(data));
    // 422: this key was used for another body (the entry was sent, then corrected): refused.
    else if (status === 400 || status === 422) await save(item, "refused", fieldErrorsText(data));
    else if (status === 404) await save(item, "refused", T.gone);
    else if (status === 403) await save(item, "refused", (data && data.detail) || T.not_allowed);
    else if (status === 503 && item.kind === "company") await save(item, "retry", T.register_down);
    else await save(item, "retry", T.server_error);
    return "kept";
  }

  // Done: a new company's visits now point to the company the server made.
  async function sent(item, data) {
    if (item.kind === "company") {
      var waiting = state.outbox.filter(function (i) { return i.kind === "session" && i.subject.ref === item.id; });
      for (var i = 0; i < waiting.length; i++) {
        var visit = waiting[i];
        visit.subject = Object.assign({}, visit.subject, { id: data.id, ref: null, version: data.version || null, name: data.name || visit.subject.name });
        visit.label = fmt(T.kind_session, { name: visit.subject.name, date: showDate(visit.payload.date) });
        await save(visit, visit.status === "refused" ? "waiting" : visit.status);
      }
    }
    await drop(item);
  }

  async function sync() {
    if (state.syncing) return;
    if (!navigator.onLine || !state.outbox.length) return renderOutbox();
    state.syncing = true;
    document.body.dataset.sync = "running";
    announce(T.sending);
    var count = 0;
    try {
      var items = ordered();
      for (var i = 0; i < items.length; i++) {
        var item = state.outbox.filter(function (x) { return x.id === items[i].id; })[0];
        if (!item || item.status === "conflict" || item.status === "refused") continue;
        if (item.kind === "session" && item.subject.ref) {
          await save(item, "waiting", T.wait_company);
          continue;
        }
        var result = await send(item);
        if (result === "sent") count += 1;
        if (result === "stop") break;
      }
    } finally {
      state.syncing = false;
      document.body.dataset.sync = "idle";
    }
    render();
    var waiting = state.outbox.length ? " " + fmt(T.still_waiting, { count: state.outbox.length }) : "";
    announce((count ? fmt(T.sent, { count: count }) : "") + waiting || T.nothing_to_send);
    if (count && navigator.onLine) await refreshBundle(true);
  }

  // --- The page ----------------------------------------------------------------------------

  function render() {
    $("connection").textContent = navigator.onLine ? T.online : T.offline;
    $("connection").dataset.online = navigator.onLine;
    $("bundle-state").textContent = bundleText();
    renderFound();
    renderFollowUps();
    renderOutbox();
  }

  async function clearAll() {
    if (!window.confirm(T.discard_confirm)) return;
    await Store.wipe();
    state.bundle = null;
    state.outbox = [];
    render();
    announce(T.cleared);
  }

  function wire() {
    $("find").addEventListener("input", renderFound);
    $("found").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-subject]");
      if (button) openVisit(findSubject(button.dataset.subject));
    });
    $("v-operator").addEventListener("change", function (event) { $("v-tier").value = tierOf(event.target.value); });
    $("visit-form").addEventListener("submit", queueVisit);
    $("cancel-visit").addEventListener("click", closeVisit);
    $("visit-errors").addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (link) {
        event.preventDefault();
        $(link.getAttribute("href").slice(1)).focus();
      }
    });
    $("company-form").addEventListener("submit", queueCompany);
    $("load-bundle").addEventListener("click", refreshBundle);
    $("send-now").addEventListener("click", sync);
    $("clear-data").addEventListener("click", clearAll);
    // Logging out deletes the phone's data first; the server's Clear-Site-Data does it too.
    $("logout").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      Store.wipe().finally(function () { form.submit(); });
    });
    window.addEventListener("online", function () {
      render();
      sync().then(function () { return refreshBundle(true); });
    });
    window.addEventListener("offline", render);
  }

  async function start() {
    wire();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* works online all the same */ });
    }
    var expired = await openStored();
    render();
    if (navigator.onLine) {
      await sync();
      await refreshBundle(state.outbox.length > 0);
    } else if (!state.bundle) {
      announce(expired ? T.expired : T.no_bundle);
    } else {
      announce(bundleText());
    }
    document.body.dataset.ready = "true"; // opened, sent and refreshed: for the tests
  }

  start();
})();
