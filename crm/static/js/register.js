// The company register lookup answers 404, with a message, when the company lies in a
// municipality the user may not register in. htmx swaps only 2xx answers: show that message
// too, instead of leaving the form as if nothing happened.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 404 && event.detail.target.closest("[data-register-target]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
