/* Sorting and filtering of the page's tables marked `div.table-tools`, offline.
   It reads the cells' text and moves or hides rows; it never writes markup, so text from the
   data stays the text the page's autoescape made of it. */
(function () {
  "use strict";
  var NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?%?$/i;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function text(cell) {
    return cell ? cell.textContent.replace(/\s+/g, " ").trim() : "";
  }

  /* A cell's sort key: its `data-sort` mark, else its number, else its text; null when empty. */
  function key(cell) {
    var marked = cell && cell.querySelector("[data-sort]");
    if (marked) return { num: Number(marked.getAttribute("data-sort")), text: "" };
    var t = text(cell);
    if (t === "" || t === "\u2014") return null;
    var n = t.replace(/,/g, "").replace(/\u2212/g, "-");
    return { num: NUMBER.test(n) ? parseFloat(n) : null, text: t.toLowerCase() };
  }

  function setup(box) {
    var table = box.querySelector("table");
    if (!table || !table.tHead || !table.tBodies.length) return;
    var body = table.tBodies[0];
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var rows = Array.prototype.slice.call(body.rows);
    if (rows.length < 2) return;
    var wanted = (box.getAttribute("data-filters") || "").split("|");
    var bar = document.createElement("div");
    var search = document.createElement("input");
    var shown = document.createElement("span");
    var hint = document.createElement("span");
    var selects = [];
    bar.className = "bar";
    search.type = "search";
    search.placeholder = "Filter: words in any order";
    search.setAttribute("aria-label", "Filter the rows");
    bar.appendChild(search);
    heads.forEach(function (th, col) {
      var name = text(th);
      if (!name || wanted.indexOf(name) < 0) return;
      var seen = {};
      rows.forEach(function (r) { seen[text(r.cells[col])] = true; });
      var options = Object.keys(seen).sort();
      if (options.length < 2) return;
      var select = document.createElement("select");
      select.setAttribute("aria-label", name);
      select.appendChild(new Option(name + ": all", ""));
      options.forEach(function (o) { select.appendChild(new Option(o, o)); });
      select.col = col;
      bar.appendChild(select);
      selects.push(select);
    });
    shown.className = "shown";
    hint.className = "hint";
    hint.textContent = "Click a column heading to sort.";
    bar.appendChild(shown);
    bar.appendChild(hint);
    box.insertBefore(bar, box.firstChild);

    function filter() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var n = 0;
      rows.forEach(function (r) {
        var all = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return all.indexOf(w) >= 0; }) &&
          selects.every(function (s) { return !s.value || text(r.cells[s.col]) === s.value; });
        r.hidden = !ok;
        if (ok) n += 1;
      });
      shown.textContent = n.toLocaleString("en") + " of " + rows.length.toLocaleString("en") +
        " rows shown";
    }

    function sort(th, col) {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      var keyed = rows.map(function (r, i) { return { row: r, k: key(r.cells[col]), i: i }; });
      var numeric = keyed.every(function (x) { return x.k === null || x.k.num !== null; });
      keyed.sort(function (a, b) {
        if (a.k === null || b.k === null) return (a.k === null) - (b.k === null) || a.i - b.i;
        var c = numeric ? a.k.num - b.k.num
          : a.k.text.localeCompare(b.k.text, "en", { numeric: true });
        return c * dir || a.i - b.i;
      });
      keyed.forEach(function (x) { body.appendChild(x.row); });
    }

    heads.forEach(function (th, col) {
      th.tabIndex = 0;
      th.title = "Sort by " + text(th);
      th.addEventListener("click", function () { sort(th, col); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(th, col); }
      });
    });
    search.addEventListener("input", filter);
    selects.forEach(function (s) { s.addEventListener("change", filter); });
    box.classList.add("ready");
    filter();
  }

  each(document.querySelectorAll("div.table-tools"), setup);
})();
