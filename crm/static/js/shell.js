// The page shell on a small screen. Loaded in <head> without defer, so that the "js" class is
// on <html> before the first paint: the stylesheet folds the menu only under html.js, so
// without this script the menu is simply open.
document.documentElement.classList.add("js");

// The "Menu" button shows and hides the menu; Escape closes it and gives the focus back.
function setUpMenu() {
  var button = document.getElementById("menu-toggle");
  if (!button) return;
  var menu = document.getElementById(button.getAttribute("aria-controls"));
  function show(open) {
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("open")) {
      show(false);
      button.focus();
    }
  });
}

// A table wider than the screen scrolls inside itself (the stylesheet), as do other boxes
// with overflow: auto; one that overflows gets a tab stop (marked, so that a tab stop the
// template gave is left alone), so that it can be scrolled from the keyboard too.
function focusableScrollers() {
  document.querySelectorAll("main *").forEach(function (box) {
    var overflow = getComputedStyle(box).overflowX;
    var scrolls = (overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.scrollStop = "";
    } else if (!scrolls && "scrollStop" in box.dataset) {
      box.removeAttribute("tabindex");
      delete box.dataset.scrollStop;
    }
  });
}

document.addEventListener("DOMContentLoaded", function () {
  setUpMenu();
  focusableScrollers();
});
window.addEventListener("load", focusableScrollers);
window.addEventListener("resize", focusableScrollers);
document.addEventListener("htmx:afterSettle", focusableScrollers);
