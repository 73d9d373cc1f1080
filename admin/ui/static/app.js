// MastraAdmin dashboard: the few behaviours htmx does not cover. No
// inline script runs (the Content-Security-Policy forbids it); everything
// hangs on ids and data- attributes of the server-rendered pages.
(function () {
  "use strict";
  var THEME_KEY = "mastra-admin-theme";

  // Theme: follow the system until the toggle picks light or dark.
  function applyTheme(t) {
    if (t === "light" || t === "dark") document.documentElement.setAttribute("data-theme", t);
    else document.documentElement.removeAttribute("data-theme");
  }
  try { applyTheme(localStorage.getItem(THEME_KEY)); } catch (e) { /* storage disabled */ }

  function currentTheme() {
    var t = document.documentElement.getAttribute("data-theme");
    if (t) return t;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  // Confirmation: a form with data-confirm asks before it is sent.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f && f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  }, true);

  // Live parts of a page refresh by replacing themselves (htmx polling).
  // A press that begins on an element and ends on its replacement is no
  // click: a Deploy pressed just as the deployments table refreshed did
  // nothing. While a pointer is down inside a live part, its refreshes
  // are not swapped in; the first one after the release is.
  var pressed = null;
  document.addEventListener("pointerdown", function (ev) { pressed = ev.target; }, true);
  function release() { pressed = null; }
  document.addEventListener("pointerup", release, true);
  document.addEventListener("pointercancel", release, true);
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var target = ev.detail.target;
    if (pressed && target && target.contains(pressed)) ev.detail.shouldSwap = false;
  });

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("theme-toggle");
    if (toggle) {
      toggle.setAttribute("aria-label", "Theme: " + currentTheme());
      toggle.addEventListener("click", function () {
        var next = currentTheme() === "dark" ? "light" : "dark";
        applyTheme(next);
        try { localStorage.setItem(THEME_KEY, next); } catch (e) { /* storage disabled */ }
        toggle.setAttribute("aria-label", "Theme: " + next);
      });
    }
    refreshChoice();
    sso();
    buildLog();
    logTail();
  });

  // Refresh interval: the header's choice is kept in a cookie (the server
  // renders the live parts' polling from it) and the page reloads.
  function refreshChoice() {
    var sel = document.getElementById("refresh-interval");
    if (!sel) return;
    sel.addEventListener("change", function () {
      document.cookie = sel.getAttribute("data-cookie") + "=" + encodeURIComponent(sel.value) + "; path=" +
        sel.getAttribute("data-path") + "; SameSite=Lax; max-age=" + (sel.value ? 31536000 : 0);
      window.location.reload();
    });
  }

  // Single sign-on: oidcauth sends the browser here with the token in the
  // URL fragment (never sent to a server); post it to /login once.
  function sso() {
    var form = document.getElementById("sso-form");
    if (!form) return;
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var tok = params.get("access_token");
    history.replaceState(null, "", window.location.pathname);
    if (!tok) { document.getElementById("sso-missing").hidden = false; return; }
    document.getElementById("sso-token").value = tok;
    form.submit();
  }

  // ANSI SGR colours to classes; other escape sequences are dropped.
  var SGR = /\x1b\[([0-9;]*)m/g;
  var OTHER = /\x1b\[[0-9;?]*[A-Za-ln-z]/g;
  function ansiSpans(text, parent) {
    text = text.replace(OTHER, "");
    var classes = [], last = 0, m;
    SGR.lastIndex = 0;
    function emit(s) {
      if (!s) return;
      var span = document.createElement("span");
      if (classes.length) span.className = classes.join(" ");
      span.textContent = s;
      parent.appendChild(span);
    }
    while ((m = SGR.exec(text)) !== null) {
      emit(text.slice(last, m.index));
      last = SGR.lastIndex;
      var codes = m[1] === "" ? ["0"] : m[1].split(";");
      for (var i = 0; i < codes.length; i++) {
        var c = parseInt(codes[i], 10);
        if (c === 0) classes = [];
        else if (c === 1) classes.push("a-bold");
        else if (c === 2) classes.push("a-dim");
        else if (c === 3) classes.push("a-italic");
        else if (c === 4) classes.push("a-underline");
        else if (c === 39) classes = classes.filter(function (k) { return k.indexOf("a-fg-") !== 0; });
        else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) {
          classes = classes.filter(function (k) { return k.indexOf("a-fg-") !== 0; });
          classes.push("a-fg-" + c);
        } else if (c === 38 || c === 48) { i += codes[i + 1] === "5" ? 2 : 4; } // 256/true colour: not shown
      }
    }
    emit(text.slice(last));
  }

  // The live build log: server-sent events from the dashboard, which
  // follows the Admin's build log as the signed-in user.
  function buildLog() {
    var pre = document.getElementById("log");
    if (!pre) return;
    var pause = document.getElementById("log-pause");
    var search = document.getElementById("log-search");
    var count = document.getElementById("log-count");
    var state = document.getElementById("log-state");
    var paused = false, total = 0, query = "";

    function matches(line) { return query === "" || line.getAttribute("data-text").indexOf(query) >= 0; }
    function updateCount() {
      var shown = pre.querySelectorAll(".ln:not([hidden])").length;
      count.textContent = query === "" ? total + " lines" : shown + " of " + total + " lines match";
    }
    function follow() { if (!paused) pre.scrollTop = pre.scrollHeight; }

    pause.addEventListener("click", function () {
      paused = !paused;
      pause.setAttribute("aria-pressed", paused ? "true" : "false");
      pause.textContent = paused ? "Resume scrolling" : "Pause scrolling";
      follow();
    });
    search.addEventListener("input", function () {
      query = search.value.toLowerCase();
      var lines = pre.querySelectorAll(".ln");
      for (var i = 0; i < lines.length; i++) lines[i].hidden = !matches(lines[i]);
      updateCount();
    });

    var es = new EventSource(pre.getAttribute("data-src"));
    es.addEventListener("open", function () { state.textContent = "live"; });
    es.addEventListener("line", function (ev) {
      var l = JSON.parse(ev.data);
      var line = document.createElement("span");
      line.className = "ln" + (l.stream === "stderr" ? " err" : "");
      line.setAttribute("data-seq", l.seq);
      var text = l.dropped ? "… " + l.dropped + " lines dropped …" : l.text;
      line.setAttribute("data-text", text.replace(SGR, "").toLowerCase());
      var ph = document.createElement("span");
      ph.className = "ph";
      ph.textContent = l.time + " [" + (l.phase || "-") + "] ";
      line.appendChild(ph);
      ansiSpans(text, line);
      line.appendChild(document.createTextNode("\n"));
      line.hidden = !matches(line);
      pre.appendChild(line);
      total++;
      updateCount();
      follow();
    });
    es.addEventListener("end", function (ev) {
      var e = JSON.parse(ev.data);
      es.close();
      state.textContent = "ended: " + e.status + (e.error ? " (" + e.error + ")" : "");
      state.setAttribute("data-status", e.status);
    });
    es.addEventListener("failure", function (ev) {
      es.close();
      state.textContent = "the log stopped: " + JSON.parse(ev.data).error;
    });
    es.addEventListener("error", function () {
      if (es.readyState === EventSource.CONNECTING) state.textContent = "reconnecting…";
    });
  }
  // The live tail of a project's logs: newest lines on top.
  function logTail() {
    var btn = document.getElementById("logs-tail");
    if (!btn) return;
    var state = document.getElementById("logs-tail-state");
    var body = document.querySelector("#logs tbody");
    var es = null;
    btn.addEventListener("click", function () {
      if (es) {
        es.close(); es = null;
        btn.setAttribute("aria-pressed", "false"); btn.textContent = "Live tail"; state.textContent = "";
        return;
      }
      es = new EventSource(btn.getAttribute("data-src"));
      btn.setAttribute("aria-pressed", "true"); btn.textContent = "Stop tail"; state.textContent = "connecting…";
      es.addEventListener("open", function () { state.textContent = "live"; });
      es.addEventListener("log", function (ev) {
        var l = JSON.parse(ev.data);
        var none = body.querySelector("tr.none");
        if (none) none.remove();
        var tr = document.createElement("tr");
        tr.className = "lvl-" + l.level + " tailed";
        [l.time, l.level, l.message, l.traceId || ""].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        body.insertBefore(tr, body.firstChild);
      });
      es.addEventListener("failure", function (ev) {
        es.close(); es = null;
        state.textContent = "the tail stopped: " + JSON.parse(ev.data).error;
      });
    });
  }
})();
