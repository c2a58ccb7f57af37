// Small progressive enhancements; every page works without this file.
// Forms marked data-autosubmit are submitted on load (the bank hand-off page).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-autosubmit]").forEach(function (f) { f.submit(); });
  // A form sent back with errors: the summary of what to correct takes the focus, so
  // that a keyboard or screen reader starts there, and its links lead to each field.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // A second click on a submit button would post the same form again; disable it.
  document.querySelectorAll("form[data-once]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
  // A page the Back button restores from the browser's memory comes back as it was
  // left, its buttons disabled by the submit above: they work again (the server still
  // places one order per form).
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) { return; }
    document.querySelectorAll("form[data-once] button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
  // The order form's summary follows the delivery method picked: each radio button
  // carries the summary's foot with its method, so the total shown is the one
  // "Place order" asks for. Without this file each method's label says its total.
  var foot = document.querySelector("tfoot[data-summary-totals]");
  document.querySelectorAll("input[name=delivery][data-totals]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked && foot) { showTotals(foot, JSON.parse(radio.getAttribute("data-totals"))); }
    });
  });
  // Typing a delivery address means delivering there: the box that says so is ticked,
  // so that the address is not refused for a box left unticked.
  var differs = document.getElementById("ship_different"), ship = document.querySelector("[data-ship-address]");
  if (differs && ship) {
    ship.addEventListener("input", function (e) {
      if (e.target.value && e.target.tagName !== "SELECT") { differs.checked = true; }
    });
  }
  // The "payment being confirmed" page refreshes itself until the bank has answered.
  var r = document.querySelector("[data-refresh]");
  if (r) { setTimeout(function () { location.reload(); }, parseInt(r.getAttribute("data-refresh"), 10) * 1000); }
});

// showTotals rewrites a summary's foot after its first row (the items): the delivery,
// the total without VAT, the VAT per rate and the total, as the server writes them.
function showTotals(foot, t) {
  while (foot.rows.length > 1) { foot.deleteRow(1); }
  function row(label, value, testid, strong) {
    var tr = foot.insertRow(-1), th = document.createElement("th"), td = document.createElement("td");
    th.scope = "row"; th.colSpan = 3; th.textContent = label; td.textContent = value;
    if (testid) { td.setAttribute("data-testid", testid); }
    tr.appendChild(th); tr.appendChild(td);
    if (strong) { tr.className = "grand"; }
    return tr;
  }
  if (t.name) { row(t.name, t.delivery, "delivery-total"); }
  if (t.ht) {
    row("Total excl. VAT", t.ht, "total-ht");
    (t.vat || []).forEach(function (v) {
      row("VAT " + v.rate + " on " + v.base, v.amount).setAttribute("data-testid", "vat-line");
    });
  }
  row("Total incl. VAT", t.total, "total", true);
}
