/* The case page's quote editor: a line per row, more rows on "Add a line", and live
 * totals as prices are typed. A preview only: the server prices the quote
 * (service.quotes) with the same rules — a line of an item in warranty is waived,
 * tax at the storefront's rate in basis points, rounded half up to a minor unit.
 */
(function () {
  "use strict";

  function minor(text) {
    var value = parseFloat(String(text || "").replace(/,/g, ""));
    return isFinite(value) ? Math.round(value * 100) : 0;
  }

  function show(cents) {
    return (cents / 100).toFixed(2);
  }

  function waived(table, row) {
    var item = row.querySelector("[data-item]");
    if (item) {
      var chosen = item.options[item.selectedIndex];
      return chosen && chosen.getAttribute("data-warranty") === "1";
    }
    return table.getAttribute("data-waived") === "1";
  }

  function total(table) {
    var subtotal = 0;
    table.querySelectorAll("tbody tr[data-line]").forEach(function (row) {
      var qty = parseInt(row.querySelector("[data-qty]").value, 10) || 0;
      var amount = qty * minor(row.querySelector("[data-price]").value);
      var charged = waived(table, row) ? 0 : amount;
      row.querySelector("[data-amount]").textContent = show(charged);
      subtotal += charged;
    });
    var bp = parseInt(table.getAttribute("data-tax-bp"), 10) || 0;
    var tax = Math.floor((subtotal * bp + 5000) / 10000);
    table.querySelector("[data-subtotal]").textContent = show(subtotal);
    table.querySelector("[data-tax]").textContent = show(tax);
    table.querySelector("[data-total]").textContent = show(subtotal + tax);
  }

  function addLine(table) {
    var template = table.parentNode.querySelector("template[data-line-template]");
    var body = table.querySelector("tbody");
    var index = body.querySelectorAll("tr[data-line]").length;
    var html = template.innerHTML.replace(/__i__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total(table);
  }

  document.addEventListener("input", function (ev) {
    var table = ev.target.closest("table[data-quote]");
    if (table) total(table);
  });
  document.addEventListener("change", function (ev) {
    var table = ev.target.closest("table[data-quote]");
    if (table) total(table);
  });
  document.addEventListener("click", function (ev) {
    var add = ev.target.closest("[data-add-line]");
    if (add) { ev.preventDefault(); addLine(add.closest("table[data-quote]")); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-quote]").forEach(total);
  });
})();
