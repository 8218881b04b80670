// Forms (issue 14). After a failed save the error summary takes the focus, so a screen reader
// reads it and the keyboard starts there; its links move the focus to the field they name.
// A colleague picker (checkboxes with class "picker") gets a filter box that hides the names
// that do not contain what is typed. No inline script: the Content-Security-Policy is 'self'.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (field) {
        event.preventDefault();
        field.scrollIntoView({ block: "center" });
        field.focus();
      }
    });
  }
  document.querySelectorAll("div.picker").forEach(addFilter);
});

function addFilter(picker) {
  var filter = document.createElement("input");
  filter.type = "search";
  filter.className = "picker-filter";
  var english = document.documentElement.lang.indexOf("en") === 0;
  filter.placeholder = english ? "Filter by name" : "Søg på navn";
  filter.setAttribute("aria-label", filter.placeholder);
  filter.setAttribute("aria-controls", picker.id);
  picker.parentNode.insertBefore(filter, picker);
  filter.addEventListener("input", function () {
    var words = filter.value.trim().toLowerCase();
    picker.querySelectorAll("label").forEach(function (label) {
      var shown = label.textContent.toLowerCase().indexOf(words) !== -1;
      label.closest("div:not(.picker)").hidden = !shown;
    });
  });
  // Enter in the filter box would submit the form: it only filters.
  filter.addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault();
  });
}
