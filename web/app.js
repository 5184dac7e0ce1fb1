/* tidings' results page for analysts: search, snippets, facets with filter chips, a date
 * histogram that filters by clicking a bar, sorting and paging. The whole state lives in the URL.
 * Text from the server is only ever set as text (highlights are split on their <mark> tags and
 * rebuilt as elements), never parsed as HTML. */
(function () {
  "use strict";
  var PAGE = 10;
  var FACETS = [["person", "People"], ["org", "Organisations"], ["place", "Places"], ["source", "Sources"], ["lang", "Languages"]];
  var FILTERS = ["person", "org", "place", "topic", "source", "lang"];
  var $ = function (id) { return document.getElementById(id); };
  // The search-only key the server put in the page (page_key), for servers that protect reads.
  var KEY = document.querySelector('meta[name="tidings-key"]');
  var HEADERS = KEY ? { Authorization: "Bearer " + KEY.getAttribute("content") } : {};
  function get(url) { return fetch(url, { headers: HEADERS }); }
  var SVG = "http://www.w3.org/2000/svg";
  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };

  function decode(text) { return text.replace(/&(amp|lt|gt|quot|#39);/g, function (e) { return ENTITIES[e]; }); }

  function appendMarked(parent, html) {
    var parts = String(html).split(/(<mark>|<\/mark>)/);
    var marked = false;
    parts.forEach(function (part) {
      if (part === "<mark>") { marked = true; return; }
      if (part === "</mark>") { marked = false; return; }
      if (!part) return;
      var text = document.createTextNode(decode(part));
      if (marked) { var mark = el("mark"); mark.appendChild(text); parent.appendChild(mark); } else parent.appendChild(text);
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function state() { return new URLSearchParams(location.search); }

  function go(params) {
    history.pushState(null, "", "?" + params.toString());
    run();
  }

  function withChange(change) {
    var params = state();
    change(params);
    params.delete("offset");
    params.delete("article");
    go(params);
  }

  function day(iso) { return iso ? iso.slice(0, 10) : ""; }

  function addDays(date, days) {
    var d = new Date(date + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  /* Day buckets regrouped into weeks or months when there are too many to draw. */
  function regroup(buckets) {
    if (buckets.length < 2) return { unit: "day", buckets: buckets.map(function (b) { return { start: b.start, end: b.start, count: b.count }; }) };
    var first = new Date(buckets[0].start + "T00:00:00Z"), last = new Date(buckets[buckets.length - 1].start + "T00:00:00Z");
    var span = (last - first) / 86400000;
    var unit = span <= 62 ? "day" : span <= 500 ? "week" : "month";
    var grouped = [];
    buckets.forEach(function (b) {
      var d = new Date(b.start + "T00:00:00Z"), start, end;
      if (unit === "day") { start = b.start; end = b.start; }
      else if (unit === "week") { d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7)); start = d.toISOString().slice(0, 10); end = addDays(start, 6); }
      else { start = b.start.slice(0, 8) + "01"; var e = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)); end = e.toISOString().slice(0, 10); }
      var top = grouped[grouped.length - 1];
      if (top && top.start === start) top.count += b.count; else grouped.push({ start: start, end: end, count: b.count });
    });
    return { unit: unit, buckets: grouped };
  }

  function renderTimeline(histogram) {
    var figure = $("timeline");
    clear(figure);
    if (!histogram || !histogram.length) return;
    var grouped = regroup(histogram);
    var buckets = grouped.buckets;
    var max = Math.max.apply(null, buckets.map(function (b) { return b.count; }));
    var width = 600, height = 80, gap = buckets.length > 80 ? 0 : 1;
    var barWidth = width / buckets.length;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", "Matching articles per " + grouped.unit + "; choose a bar to keep only its dates");
    buckets.forEach(function (b, i) {
      var rect = document.createElementNS(SVG, "rect");
      var h = Math.max(2, (b.count / max) * (height - 2));
      rect.setAttribute("x", String(i * barWidth));
      rect.setAttribute("y", String(height - h));
      rect.setAttribute("width", String(Math.max(1, barWidth - gap)));
      rect.setAttribute("height", String(h));
      rect.setAttribute("tabindex", "0");
      rect.setAttribute("role", "button");
      rect.setAttribute("data-start", b.start);
      rect.setAttribute("data-end", b.end);
      rect.setAttribute("data-count", String(b.count));
      var label = (b.start === b.end ? b.start : b.start + " to " + b.end) + ": " + b.count + " articles";
      rect.setAttribute("aria-label", label);
      var title = document.createElementNS(SVG, "title");
      title.textContent = label;
      rect.appendChild(title);
      var pick = function () { withChange(function (p) { p.set("from", b.start); p.set("to", b.end); }); };
      rect.addEventListener("click", pick);
      rect.addEventListener("keydown", function (event) { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(); } });
      svg.appendChild(rect);
    });
    figure.appendChild(svg);
    var caption = el("figcaption");
    caption.appendChild(el("span", "", buckets[0].start));
    caption.appendChild(el("span", "", "articles per " + grouped.unit + " — click a bar to filter"));
    caption.appendChild(el("span", "", buckets[buckets.length - 1].end));
    figure.appendChild(caption);
  }

  function renderFacets(facets, params) {
    var aside = $("facets");
    clear(aside);
    FACETS.forEach(function (pair) {
      var values = (facets && facets[pair[0]]) || [];
      if (!values.length) return;
      var section = el("section");
      section.appendChild(el("h2", "", pair[1]));
      var list = el("ul");
      values.forEach(function (v) {
        var chosen = params.getAll(pair[0]).indexOf(v.value) >= 0;
        var item = el("li");
        var button = el("button");
        button.type = "button";
        button.setAttribute("data-facet", pair[0]);
        button.setAttribute("data-value", v.value);
        button.setAttribute("data-count", String(v.count));
        button.setAttribute("aria-pressed", chosen ? "true" : "false");
        button.appendChild(el("span", "", v.value));
        button.appendChild(el("span", "count", String(v.count)));
        button.addEventListener("click", function () {
          withChange(function (p) {
            var current = p.getAll(pair[0]);
            p.delete(pair[0]);
            current.filter(function (x) { return x !== v.value; }).forEach(function (x) { p.append(pair[0], x); });
            if (!chosen) p.append(pair[0], v.value);
          });
        });
        item.appendChild(button);
        list.appendChild(item);
      });
      section.appendChild(list);
      aside.appendChild(section);
    });
  }

  function renderChips(params) {
    var chips = $("chips");
    clear(chips);
    var add = function (label, remove) {
      var chip = el("button", "chip", label + " ×");
      chip.type = "button";
      chip.setAttribute("aria-label", "Remove filter " + label);
      chip.addEventListener("click", function () { withChange(remove); });
      chips.appendChild(chip);
    };
    FILTERS.forEach(function (field) {
      params.getAll(field).forEach(function (value) {
        add(field + ": " + value, function (p) {
          var rest = p.getAll(field).filter(function (x) { return x !== value; });
          p.delete(field);
          rest.forEach(function (x) { p.append(field, x); });
        });
      });
    });
    if (params.get("from") || params.get("to")) {
      add("dates: " + (params.get("from") || "…") + " to " + (params.get("to") || "…"), function (p) { p.delete("from"); p.delete("to"); });
    }
  }

  function renderHits(body, params) {
    var list = $("hits");
    clear(list);
    body.hits.forEach(function (hit) {
      var item = el("li");
      item.setAttribute("data-id", hit.id);
      var heading = el("h3");
      var link = el("a");
      link.href = "?" + (function () { var p = state(); p.set("article", hit.id); return p.toString(); })();
      appendMarked(link, hit.highlights.title || "");
      if (!link.firstChild) link.textContent = hit.title || "(untitled)";
      heading.appendChild(link);
      item.appendChild(heading);
      var meta = el("div", "meta");
      meta.textContent = [day(hit.published_at), hit.source, hit.lang].filter(Boolean).join(" · ");
      if (hit.url && /^https?:\/\//i.test(hit.url)) {
        meta.appendChild(document.createTextNode(" · "));
        var original = el("a", "", "original");
        original.href = hit.url;
        original.rel = "noopener noreferrer";
        meta.appendChild(original);
      }
      item.appendChild(meta);
      (hit.highlights.body || []).forEach(function (fragment) {
        var p = el("p", "snippet");
        appendMarked(p, fragment);
        item.appendChild(p);
      });
      list.appendChild(item);
    });
  }

  function renderPages(body, params) {
    var nav = $("pages");
    clear(nav);
    var offset = parseInt(params.get("offset") || "0", 10) || 0;
    var total = Math.min(body.total, 10000);
    if (total <= PAGE) return;
    var previous = el("button", "", "← Previous");
    previous.type = "button";
    previous.disabled = offset <= 0;
    previous.addEventListener("click", function () { var p = state(); p.set("offset", String(Math.max(0, offset - PAGE))); go(p); });
    var next = el("button", "", "Next →");
    next.type = "button";
    next.disabled = offset + PAGE >= total;
    next.addEventListener("click", function () { var p = state(); p.set("offset", String(offset + PAGE)); go(p); });
    nav.appendChild(previous);
    nav.appendChild(el("span", "", "page " + (Math.floor(offset / PAGE) + 1) + " of " + Math.ceil(total / PAGE)));
    nav.appendChild(next);
  }

  function searchParams(params) {
    var query = new URLSearchParams();
    ["q", "mode", "sort", "from", "to"].forEach(function (k) { if (params.get(k)) query.set(k, params.get(k)); });
    FILTERS.forEach(function (k) { params.getAll(k).forEach(function (v) { query.append(k, v); }); });
    return query;
  }

  function renderSummary(body, params) {
    var summary = $("summary");
    clear(summary);
    summary.appendChild(document.createTextNode(body.total + " articles" + (params.get("q") ? " for “" + params.get("q") + "”" : "") + " (" + body.took_ms + " ms) "));
    var exports = el("span", "exports");
    ["csv", "jsonl"].forEach(function (format) {
      var query = searchParams(params);
      query.set("format", format);
      var link = el("a", "", "export " + format.toUpperCase());
      link.href = "/v1/export?" + query.toString();
      exports.appendChild(document.createTextNode(" · "));
      exports.appendChild(link);
    });
    summary.appendChild(exports);
  }

  function showArticle(id) {
    var box = $("article");
    clear(box);
    if (!id) return;
    get("/v1/articles/" + encodeURIComponent(id)).then(function (r) { return r.ok ? r.json() : null; }).then(function (article) {
      if (!article) return;
      var node = el("article");
      node.appendChild(el("h2", "", article.title || "(untitled)"));
      node.appendChild(el("div", "meta", [day(article.published_at), article.source, article.lang].filter(Boolean).join(" · ")));
      node.appendChild(el("div", "body", article.body));
      var names = article.entities.map(function (e) { return e.name; }).slice(0, 20).join(", ");
      if (names) node.appendChild(el("p", "meta", "Mentions: " + names));
      var related = el("div");
      node.appendChild(related);
      box.appendChild(node);
      return get("/v1/articles/" + encodeURIComponent(id) + "/related?limit=5").then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
        if (!body || !body.related.length) return;
        related.appendChild(el("h3", "", "Related stories"));
        var list = el("ul");
        body.related.forEach(function (hit) {
          var item = el("li");
          var link = el("a", "", hit.title || "(untitled)");
          link.href = "?" + (function () { var p = state(); p.set("article", hit.id); return p.toString(); })();
          item.appendChild(link);
          item.appendChild(el("span", "meta", " " + [day(hit.published_at), hit.source].filter(Boolean).join(" · ")));
          list.appendChild(item);
        });
        related.appendChild(list);
      });
    }).catch(function () { /* the list below still works */ });
  }

  var latest = 0;

  function run() {
    var params = state();
    $("q").value = params.get("q") || "";
    $("mode").value = params.get("mode") === "instant" ? "instant" : "analyst";
    $("sort").value = params.get("sort") === "date" ? "date" : "relevance";
    renderChips(params);
    showArticle(params.get("article"));
    var query = searchParams(params);
    query.set("limit", String(PAGE));
    query.set("offset", params.get("offset") || "0");
    query.set("facets", "person,org,place,source,lang");
    query.set("facet_size", "8");
    query.set("histogram", "day");
    var mine = ++latest;
    document.body.setAttribute("data-state", "loading");
    get("/v1/search?" + query.toString())
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (answer) {
        if (mine !== latest) return;
        if (!answer.ok) {
          clear($("hits")); clear($("facets")); clear($("timeline")); clear($("pages"));
          var summary = $("summary");
          clear(summary);
          summary.appendChild(el("div", "error", (answer.body.error && answer.body.error.message) || "The search failed."));
          document.body.setAttribute("data-state", "error");
          return;
        }
        var body = answer.body;
        renderSummary(body, params);
        renderFacets(body.facets, params);
        renderTimeline(body.histogram);
        renderHits(body, params);
        renderPages(body, params);
        document.body.setAttribute("data-total", String(body.total));
        document.body.setAttribute("data-state", "ready");
      })
      .catch(function () {
        if (mine !== latest) return;
        var summary = $("summary");
        clear(summary);
        summary.appendChild(el("div", "error", "The server cannot be reached."));
        document.body.setAttribute("data-state", "error");
      });
  }

  function start() {
    $("search").addEventListener("submit", function (event) {
      event.preventDefault();
      withChange(function (p) {
        var q = $("q").value.trim();
        if (q) p.set("q", q); else p.delete("q");
        p.set("mode", $("mode").value);
        p.set("sort", $("sort").value);
      });
    });
    $("sort").addEventListener("change", function () { withChange(function (p) { p.set("sort", $("sort").value); }); });
    window.addEventListener("popstate", run);
    run();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
