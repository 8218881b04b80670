// The rules a guidance session typed in by a person must meet, checked on the phone before
// the session goes into the outbox. They are crm.services.session_rule_errors, read line by
// line; tests/browser/test_offline.py runs both on one table of cases so they cannot drift.
// The messages and the limits come from the server (the page's JSON block), so the words
// and numbers live in one place: Python.
//
// Dates are "YYYY-MM-DD" strings (an <input type=date>'s value), which compare as dates.
(function (root) {
  "use strict";

  var HOURS = ["hours_before", "hours_during", "hours_after"];

  function daysBefore(isoDate, days) {
    var parts = isoDate.split("-").map(Number);
    var day = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2] - days));
    return day.toISOString().slice(0, 10);
  }

  // A number typed in, or 0 for an empty field (Python: ``fields.get(name) or 0``).
  function hours(value) {
    var number = Number(value === null || value === undefined || value === "" ? 0 : value);
    return isNaN(number) ? 0 : number;
  }

  // {field: message}, empty when the session passes. ``options``: today (YYYY-MM-DD),
  // maxAgeDays, maxHours and the messages by rule (see crm.views.offline.rule_messages).
  function sessionErrors(fields, options) {
    var errors = {};
    var messages = options.messages;
    var date = fields.date || "";
    var followUp = fields.follow_up_on || "";
    if (date && date > options.today) {
      errors.date = messages.future;
    } else if (date && date < daysBefore(options.today, options.maxAgeDays) && date !== (fields.stored_date || "")) {
      errors.date = messages.too_old;
    }
    if (date && followUp && followUp <= date) {
      errors.follow_up_on = messages.follow_up;
    }
    if (fields.screening_result && !fields.screening_done) {
      errors.screening_result = messages.screening;
    }
    HOURS.forEach(function (name) {
      if (hours(fields[name]) > options.maxHours) errors[name] = messages.hours_limit;
    });
    if (fields.kind === "full") {
      if (!String(fields.content || "").trim()) errors.content = messages.content;
      var any = HOURS.some(function (name) { return hours(fields[name]) !== 0; });
      if (!any && !errors.hours_during) errors.hours_during = messages.no_hours;
    }
    return errors;
  }

  // The session form's own field checks before the rules (crm.forms.SessionForm over the
  // model): the required fields, and hours from 0 to 100 with one decimal.
  function fieldErrors(fields, messages) {
    var errors = {};
    ["date", "operator", "tier", "channel", "kind"].forEach(function (name) {
      if (!fields[name]) errors[name] = messages.required;
    });
    HOURS.forEach(function (name) {
      var value = fields[name];
      if (value === "" || value === null || value === undefined) {
        errors[name] = messages.required;
      } else if (!/^\d{1,3}([.,]\d)?$/.test(String(value)) || hours(String(value).replace(",", ".")) > 100) {
        errors[name] = messages.hours_format;
      }
    });
    return errors;
  }

  // Everything the online form would refuse, field errors first (as Django's form: a field
  // that failed its own check gets no rule message).
  function check(fields, options) {
    var errors = fieldErrors(fields, options.messages);
    var rules = sessionErrors(fields, options);
    Object.keys(rules).forEach(function (name) {
      if (!errors[name]) errors[name] = rules[name];
    });
    return errors;
  }

  // A follow-up date on a session logged earlier: after the session's date (the same rule).
  function followUpErrors(sessionDate, followUpOn, options) {
    if (!followUpOn) return { follow_up_on: options.messages.required };
    return sessionErrors({ date: sessionDate, follow_up_on: followUpOn, kind: "brief" }, options);
  }

  root.KnudepunktRules = {
    sessionErrors: sessionErrors,
    fieldErrors: fieldErrors,
    check: check,
    followUpErrors: followUpErrors,
  };
})(typeof self !== "undefined" ? self : this);
