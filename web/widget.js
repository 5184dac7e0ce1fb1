/* tidings search box — one file, no dependencies, no build step.
 *
 *   <script src="https://search.example/widget.js" data-endpoint="https://search.example" defer></script>
 *   <div data-tidings-search></div>
 *
 * Optional attributes on the script tag: data-results-url (the "all results" page; default the
 * endpoint's own page), data-limit (results in the dropdown, default 6), data-placeholder, and
 * data-key: a search-only key or a tenant token, sent as `Authorization: Bearer …` (needed when
 * the server protects reads; never put a key that can write or export in a page).
 * Text from the server is only ever set as text: highlights arrive HTML-escaped with <mark> tags,
 * which are split out and rebuilt as elements, never parsed as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-endpoint][src*='widget.js']");
  if (!script) return;
  var endpoint = (script.getAttribute("data-endpoint") || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var resultsUrl = script.getAttribute("data-results-url") || endpoint + "/";
  var limit = Math.max(1, Math.min(20, parseInt(script.getAttribute("data-limit") || "6", 10) || 6));
  var placeholder = script.getAttribute("data-placeholder") || "Search the news";
  var headers = { Accept: "application/json" };
  if (script.getAttribute("data-key")) headers.Authorization = "Bearer " + script.getAttribute("data-key");
  var DEBOUNCE_MS = 120;
  var instances = 0;

  var CSS =
    ".tidings-box{position:relative;font:16px/1.4 system-ui,sans-serif;max-width:40em}" +
    ".tidings-box input{width:100%;box-sizing:border-box;padding:.55em .8em;font:inherit;border:1px solid #889;border-radius:6px}" +
    ".tidings-box input:focus{outline:2px solid #1a5fb4;outline-offset:1px}" +
    ".tidings-list{position:absolute;z-index:1000;left:0;right:0;margin:.2em 0 0;padding:0;list-style:none;background:#fff;" +
    "border:1px solid #889;border-radius:6px;box-shadow:0 6px 18px rgba(0,0,0,.15);max-height:28em;overflow:auto}" +
    ".tidings-list[hidden]{display:none}" +
    ".tidings-option{padding:.5em .8em;cursor:pointer;border-bottom:1px solid #eee}" +
    ".tidings-option[aria-selected=true],.tidings-option:hover{background:#e8f0fc}" +
    ".tidings-title{display:block;color:#123}" +
    ".tidings-meta{display:block;font-size:.8em;color:#556}" +
    ".tidings-box mark{background:#fde68a;color:inherit;padding:0}" +
    ".tidings-all{display:block;padding:.5em .8em;color:#1a5fb4;text-decoration:none}" +
    ".tidings-all[aria-selected=true],.tidings-all:hover{background:#e8f0fc}" +
    ".tidings-status{padding:.5em .8em;color:#556;font-size:.9em}";

  function injectStyle() {
    if (document.getElementById("tidings-widget-style")) return;
    var style = document.createElement("style");
    style.id = "tidings-widget-style";
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'" };
  function decode(text) {
    return text.replace(/&(amp|lt|gt|quot|#39);/g, function (entity) { return ENTITIES[entity]; });
  }

  /* Appends escaped-with-<mark> text to `parent` as text nodes and <mark> elements. */
  function appendMarked(parent, html) {
    var parts = String(html).split(/(<mark>|<\/mark>)/);
    var marked = false;
    for (var i = 0; i < parts.length; i++) {
      if (parts[i] === "<mark>") { marked = true; continue; }
      if (parts[i] === "</mark>") { marked = false; continue; }
      if (!parts[i]) continue;
      var text = document.createTextNode(decode(parts[i]));
      if (marked) {
        var mark = document.createElement("mark");
        mark.appendChild(text);
        parent.appendChild(mark);
      } else {
        parent.appendChild(text);
      }
    }
  }

  function formatDate(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  }

  function allResultsHref(q) {
    var url = new URL(resultsUrl, location.href);
    url.searchParams.set("q", q);
    url.searchParams.set("mode", "instant");
    return url.toString();
  }

  function articleHref(hit, q) {
    if (hit.url && /^https?:\/\//i.test(hit.url)) return hit.url;
    var url = new URL(resultsUrl, location.href);
    url.searchParams.set("q", q);
    url.searchParams.set("mode", "instant");
    url.searchParams.set("article", hit.id);
    return url.toString();
  }

  function mount(host) {
    if (host.getAttribute("data-tidings-mounted")) return;
    host.setAttribute("data-tidings-mounted", "1");
    var id = "tidings-" + (++instances);
    var box = document.createElement("div");
    box.className = "tidings-box";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id + "-input";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = host.getAttribute("data-placeholder") || placeholder;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-list");
    input.setAttribute("aria-label", input.placeholder);
    var list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "tidings-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Search results");
    list.hidden = true;
    var live = document.createElement("div");
    live.setAttribute("aria-live", "polite");
    live.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)";
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(live);
    host.appendChild(box);

    var options = [];
    var active = -1;
    var timer = null;
    var sent = 0;
    var controller = null;

    function setActive(index) {
      active = index;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function option(index, href) {
      var item = document.createElement("li");
      item.id = id + "-option-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.setAttribute("data-href", href);
      item.addEventListener("mousedown", function (event) { event.preventDefault(); });
      item.addEventListener("click", function () { location.assign(href); });
      return item;
    }

    function render(q, body) {
      while (list.firstChild) list.removeChild(list.firstChild);
      options = [];
      var hits = body.hits || [];
      for (var i = 0; i < hits.length; i++) {
        var hit = hits[i];
        var item = option(i, articleHref(hit, q));
        item.className = "tidings-option";
        var title = document.createElement("span");
        title.className = "tidings-title";
        appendMarked(title, hit.highlights && hit.highlights.title ? hit.highlights.title : "");
        if (!title.firstChild) title.textContent = hit.title || "(untitled)";
        var meta = document.createElement("span");
        meta.className = "tidings-meta";
        meta.textContent = [formatDate(hit.published_at), hit.source].filter(Boolean).join(" · ");
        item.appendChild(title);
        item.appendChild(meta);
        list.appendChild(item);
        options.push(item);
      }
      if (!hits.length) {
        var none = document.createElement("li");
        none.className = "tidings-status";
        none.setAttribute("role", "presentation");
        none.textContent = "No results for “" + q + "”";
        list.appendChild(none);
      }
      var all = option(hits.length, allResultsHref(q));
      all.className = "tidings-all";
      // "1000+" when the search stopped counting once the shown hits were certain.
      var count = typeof body.total === "number" ? body.total + (body.total_relation === "gte" ? "+" : "") : "";
      all.textContent = "All results" + (count ? " (" + count + ")" : "") + " for “" + q + "” →";
      list.appendChild(all);
      options.push(all);
      live.textContent = hits.length ? hits.length + " results shown" : "No results";
      setActive(-1);
      open();
    }

    function search() {
      var q = input.value.trim();
      if (controller) controller.abort();
      if (!q) { close(); return; }
      var mine = ++sent;
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var url = endpoint + "/v1/search?mode=instant&snippets=1&limit=" + limit + "&q=" + encodeURIComponent(q);
      fetch(url, { signal: controller ? controller.signal : undefined, headers: headers })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(new Error("HTTP " + response.status)); })
        .then(function (body) {
          // A slower, older answer must not replace a newer one.
          if (mine !== sent || input.value.trim() !== q) return;
          render(q, body);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          if (mine !== sent) return;
          while (list.firstChild) list.removeChild(list.firstChild);
          options = [];
          var failed = document.createElement("li");
          failed.className = "tidings-status";
          failed.setAttribute("role", "presentation");
          failed.textContent = "Search is unavailable right now.";
          list.appendChild(failed);
          open();
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden && input.value.trim()) { search(); return; }
        if (options.length) setActive((active + 1) % options.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (options.length) setActive(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        var q = input.value.trim();
        if (!q) return;
        event.preventDefault();
        var chosen = active >= 0 && options[active] ? options[active].getAttribute("data-href") : allResultsHref(q);
        location.assign(chosen);
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); } else { input.value = ""; }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    input.addEventListener("focus", function () { if (options.length && input.value.trim()) open(); });
  }

  function start() {
    injectStyle();
    var hosts = document.querySelectorAll("[data-tidings-search]");
    for (var i = 0; i < hosts.length; i++) mount(hosts[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
