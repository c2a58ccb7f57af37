// Small progressive enhancements; every page works without this file.
// Forms marked data-autosubmit are submitted on load (the bank hand-off page).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-autosubmit]").forEach(function (f) { f.submit(); });
  // A second click on a submit button would post the same form again; disable it.
  document.querySelectorAll("form[data-once]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
  // The "payment being confirmed" page refreshes itself until the bank has answered.
  var r = document.querySelector("[data-refresh]");
  if (r) { setTimeout(function () { location.reload(); }, parseInt(r.getAttribute("data-refresh"), 10) * 1000); }
});
