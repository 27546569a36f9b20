// Warn before leaving a builder page with typed, unsaved changes (JavaScript on; htmx is the only library).
// A form inside [data-unsaved-guard] counts as unsaved once a field is edited, or when the server sent it back
// after an error (data-unsaved); submitting it clears that. A boosted navigation swaps the whole body and a
// full navigation unloads the page: both ask first. Section saves swap only their own section, so they don't.
(function () {
  "use strict";
  if (window.unsavedGuard) return;  // swapped in again by a boosted navigation
  window.unsavedGuard = true;
  var edited = new Set();
  function guard(form) { return form && form.closest && form.closest("[data-unsaved-guard]"); }
  function pending() {
    var forms = Array.prototype.slice.call(document.querySelectorAll("[data-unsaved-guard] form[data-unsaved]"));
    edited.forEach(function (form) { if (document.contains(form)) forms.push(form); else edited.delete(form); });
    return forms;
  }
  function warning() {
    var holder = document.querySelector("[data-unsaved-guard]");
    return holder ? holder.getAttribute("data-unsaved-guard") : "";
  }
  document.addEventListener("input", function (event) {
    var form = event.target && event.target.form;
    if (guard(form)) edited.add(form);
  });
  document.addEventListener("change", function (event) {
    var form = event.target && event.target.form;
    if (guard(form)) edited.add(form);
  });
  document.addEventListener("submit", function (event) {
    edited.delete(event.target);
    event.target.removeAttribute("data-unsaved");
  }, true);
  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail;
    if (detail.target !== document.body) return;  // a section swap keeps the other sections as typed
    var others = pending().filter(function (form) { return form !== detail.elt; });
    if (!others.length) return;
    event.preventDefault();
    if (window.confirm(warning())) {
      others.forEach(function (form) { edited.delete(form); form.removeAttribute("data-unsaved"); });
      detail.issueRequest(true);
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (pending().length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
