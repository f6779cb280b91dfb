// Filters the periodic table in place. Without this script the filter links still work:
// the server marks the tiles that do not match `hidden`. With it, a click toggles `hidden`
// on the tiles, marks the chosen link, rewrites the address and announces the count.
(function () {
  "use strict";

  var filters = document.querySelector("[data-table-filters]");
  var table = document.getElementById("periodic-table");
  if (!filters || !table) return;

  var status = document.getElementById("table-status");
  var empty = document.getElementById("table-empty");
  var baseUrl = filters.getAttribute("data-base-url") || window.location.pathname;
  var tiles = Array.prototype.slice.call(table.querySelectorAll(".tile"));
  var links = Array.prototype.slice.call(filters.querySelectorAll("a[data-filter]"));
  var state = {
    category: filters.getAttribute("data-category") || "",
    kind: filters.getAttribute("data-kind") || "",
  };

  function query(next) {
    var params = new URLSearchParams();
    if (next.category) params.set("category", next.category);
    if (next.kind) params.set("kind", next.kind);
    var text = params.toString();
    return baseUrl + (text ? "?" + text : "");
  }

  function matches(tile) {
    var categories = (tile.getAttribute("data-categories") || "").split(" ");
    var categoryOk = !state.category || categories.indexOf(state.category) !== -1;
    var kindOk = !state.kind || tile.getAttribute("data-kind") === state.kind;
    return categoryOk && kindOk;
  }

  function describe(shown, total) {
    var noun = total === 1 ? "pattern" : "patterns";
    if (shown === total) return "Showing all " + total + " " + noun + ".";
    return "Showing " + shown + " of " + total + " " + noun + ".";
  }

  function apply() {
    var shown = 0;
    tiles.forEach(function (tile) {
      var visible = matches(tile);
      tile.hidden = !visible;
      if (visible) shown += 1;
    });
    links.forEach(function (link) {
      var dimension = link.getAttribute("data-filter");
      var value = link.getAttribute("data-value");
      var next = { category: state.category, kind: state.kind };
      next[dimension] = value;
      link.setAttribute("href", query(next));
      if (state[dimension] === value) {
        link.setAttribute("aria-current", "true");
      } else {
        link.removeAttribute("aria-current");
      }
    });
    if (empty) empty.hidden = shown !== 0 || tiles.length === 0;
    if (status) status.textContent = describe(shown, tiles.length);
  }

  filters.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-filter]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button !== 0) return;
    event.preventDefault();
    state[link.getAttribute("data-filter")] = link.getAttribute("data-value") || "";
    apply();
    window.history.replaceState(null, "", query(state));
  });

  if (empty) {
    var reset = empty.querySelector("[data-filter-reset]");
    if (reset) {
      reset.addEventListener("click", function (event) {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button !== 0) return;
        event.preventDefault();
        state.category = "";
        state.kind = "";
        apply();
        window.history.replaceState(null, "", query(state));
        var first = filters.querySelector("a[data-filter]");
        if (first) first.focus();
      });
    }
  }
})();
