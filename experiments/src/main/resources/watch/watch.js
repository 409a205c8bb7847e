// ringlab watch: the page. Vanilla JS and SVG, no library, no network access beyond its own server.
"use strict";
(function () {
  var NS = "http://www.w3.org/2000/svg";
  var hello = null, pos = [], circles = [], selected = 0, frameIndex = 0, total = 0, violationIndex = -1;
  var $ = function (id) { return document.getElementById(id); };

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function xy(v) { return [pos[2 * v] * 1000, pos[2 * v + 1] * 1000]; }

  function setup(h) {
    hello = h;
    last = {nodes: [], succKey: null, tokKey: null, wave: null, counters: null, log: null};
    wavePool = [];
    $("tokens").innerHTML = "";
    pos = h.layout;
    $("run").textContent = h.mode + " | engine " + h.engine + " | " + h.topology + " | n=" + h.n + " | protocol " +
      h.protocol + " | seed " + h.seed;
    $("node").max = h.n - 1;
    var svg = $("topo");
    var defs = el("defs", {}, svg);
    var m = el("marker", {id: "arrow", viewBox: "0 0 10 10", refX: "18", refY: "5", markerWidth: "5", markerHeight: "5", orient: "auto"}, defs);
    el("path", {d: "M0,0 L10,5 L0,10 z", fill: "#1565c0"}, m);
    var eg = $("edges"), ng = $("nodes");
    eg.innerHTML = ""; ng.innerHTML = "";
    for (var i = 0; i < h.edges.length; i += 2) {
      var a = xy(h.edges[i]), b = xy(h.edges[i + 1]);
      el("line", {x1: a[0], y1: a[1], x2: b[0], y2: b[1], "class": "edge"}, eg);
    }
    var r = Math.max(4, Math.min(22, 900 / h.n));
    circles = [];
    for (var v = 0; v < h.n; v++) {
      var p = xy(v);
      var c = el("circle", {cx: p[0], cy: p[1], r: r, "class": "node", "data-id": v, "data-state": "alive"}, ng);
      c.addEventListener("click", select.bind(null, v));
      var t = el("title", {}, c); t.textContent = "node " + v;
      circles.push(c);
      if (h.n <= 64) {
        var lab = el("text", {x: p[0] + r + 2, y: p[1] - r, "class": "label"}, ng);
        lab.textContent = v;
      }
    }
    select(0);
    if (h.mode === "live") {
      $("live-controls").hidden = false;
      $("speed-controls").hidden = !h.deterministic;
    } else {
      $("replay-controls").hidden = false;
      $("spacetime").hidden = false;
    }
  }

  function select(v) {
    selected = v;
    $("node").value = v;
    $("selected").textContent = v;
    circles.forEach(function (c, i) { c.classList.toggle("sel", i === v); });
  }

  // The state both modes draw: node states, successors, tokens, the latest wave. A live page renders up to
  // ten snapshots a second next to a busy cluster on the same machine, so each render touches only what
  // changed: node attributes are compared with the last ones, successor lines and tokens are rebuilt only
  // when they changed, the wave's circles come from a pool made once, and tables and the log are replaced
  // only when their text differs.
  var last = {nodes: [], succKey: null, tokKey: null, wave: null, counters: null, log: null};
  var wavePool = [];

  function setText(id, text) {
    var e = $(id);
    if (e.textContent !== text) { e.textContent = text; }
  }

  function render(s) {
    var n = hello.n;
    var succKey = "";
    for (var v = 0; v < n; v++) {
      var ns = s.nodes[v];
      var title = "node " + v + ": " + ns.s + (ns.by ? " (suspected by " + ns.by.join(", ") + ")" : "") +
        (ns.succ >= 0 ? ", successor " + ns.succ : "");
      var prev = last.nodes[v];
      if (!prev || prev.s !== ns.s) { circles[v].setAttribute("data-state", ns.s); }
      if (!prev || prev.succ !== ns.succ) { circles[v].setAttribute("data-succ", ns.succ); }
      if (!prev || prev.title !== title) { circles[v].querySelector("title").textContent = title; }
      last.nodes[v] = {s: ns.s, succ: ns.succ, title: title};
      if (ns.succ >= 0 && ns.s !== "dead" && n <= 256) { succKey += v + ">" + ns.succ + ","; }
    }
    if (succKey !== last.succKey) {
      var sg = $("succs"); sg.innerHTML = "";
      for (var u = 0; u < n; u++) {
        var x = s.nodes[u];
        if (x.succ >= 0 && x.s !== "dead" && n <= 256) {
          var a = xy(u), b = xy(x.succ);
          el("line", {x1: a[0], y1: a[1], x2: b[0], y2: b[1], "class": "succ"}, sg);
        }
      }
      last.succKey = succKey;
    }
    var ns2 = s.nodes[selected];
    setText("selinfo", ns2 ? ns2.s + (ns2.by ? " (suspected by " + ns2.by.join(", ") + ")" : "") +
      (ns2.succ >= 0 ? ", successor " + ns2.succ : "") : "");
    var toks = (s.tokens || []).filter(function (t) { return t.node >= 0; });
    var tokKey = toks.map(function (t) { return t.epoch + "@" + t.node + "<" + t.from; }).join(",");
    var tg = $("tokens");
    if (tokKey !== last.tokKey) {
      tg.querySelectorAll("circle.token").forEach(function (c) { c.remove(); });
      toks.forEach(function (t) {
        var p = xy(t.node);
        el("circle", {cx: p[0], cy: p[1], r: 10, "class": "token tok" + (t.epoch % 2), "data-epoch": t.epoch, "data-node": t.node}, tg);
      });
      var texts = toks.map(function (t) {
        return "epoch " + t.epoch + " at node " + t.node + (t.from >= 0 ? " (from " + t.from + ")" : "");
      });
      $("token").textContent = texts.length ? texts.join("; ") : "none";
      $("token").setAttribute("data-node", s.tokens && s.tokens.length ? s.tokens[s.tokens.length - 1].node : -1);
      last.tokKey = tokKey;
    }
    if (s.tick !== undefined) { setText("tick", String(s.tick)); }
    setText("ring", s.ring_whole ? "whole" : "broken or unknown");
    var waves = s.waves || [];
    var w = waves.length ? waves[waves.length - 1] : null;
    var waveKey = w ? w.id + ":" + w.order.length : null;
    if (waveKey !== last.wave) {
      // nodes light up in delivery order: the earlier, the fainter
      var k = w ? w.order.length : 0;
      for (var i = 0; i < k; i++) {
        if (i === wavePool.length) { wavePool.push(el("circle", {r: 16, "class": "wave"}, tg)); }
        var q = xy(w.order[i]);
        var c = wavePool[i];
        c.setAttribute("cx", q[0]);
        c.setAttribute("cy", q[1]);
        c.setAttribute("opacity", (0.25 + 0.75 * (i + 1) / k).toFixed(2));
        c.style.display = "";
      }
      for (var j = k; j < wavePool.length; j++) { wavePool[j].style.display = "none"; }
      if (w) {
        $("wave").textContent = "#" + w.id + " from " + w.origin + ": " + w.order.length + " of " + n + " delivered, last hop " + w.last_hop;
      }
      last.wave = waveKey;
    }
    if (s.counters) {
      var rows = "";
      var cs = s.counters;
      ["msgs_per_s", "bytes_per_s", "messages_sent", "deliveries", "broadcasts_seen", "token_hops"].forEach(function (key) {
        if (cs[key] !== undefined) { rows += "<tr><td>" + key + "</td><td>" + cs[key] + "</td></tr>"; }
      });
      for (var r in cs.drops) { rows += "<tr><td>dropped: " + r + "</td><td>" + cs.drops[r] + "</td></tr>"; }
      if (rows !== last.counters) { $("counters").innerHTML = rows; last.counters = rows; }
    }
    if (s.log) {
      var logKey = s.log.join("\n");
      if (logKey !== last.log) {
        var ol = $("log"); ol.innerHTML = "";
        s.log.forEach(function (line) { var li = document.createElement("li"); li.textContent = line; ol.appendChild(li); });
        last.log = logKey;
      }
    }
    if (s.replay !== undefined) { setText("replay", s.replay); }
    if (s.play !== undefined) { setText("play", s.play); }
    setText("status", "t = " + s.now_ms.toFixed(1) + " ms");
  }

  function control(params) {
    var q = Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
    return fetch("/control?" + q, {method: "POST"}).then(function (r) { return r.text(); })
      .then(function (t) { $("reply").textContent = t; });
  }

  function wireLive() {
    $("b-broadcast").onclick = function () { control({op: "broadcast", node: $("node").value}); };
    $("b-crash").onclick = function () { control({op: "crash", node: $("node").value}); };
    $("b-restart").onclick = function () { control({op: "restart", node: $("node").value}); };
    $("b-partition").onclick = function () { control({op: "partition", groups: $("groups").value}); };
    $("b-heal").onclick = function () { control({op: "heal"}); };
    $("b-stop").onclick = function () { control({op: "stop"}); };
    $("b-step").onclick = function () { control({op: "speed", value: "pause"}).then(function () { control({op: "step"}); }); };
    document.querySelectorAll("[data-speed]").forEach(function (b) {
      b.onclick = function () { control({op: "speed", value: b.getAttribute("data-speed")}); };
    });
    $("node").onchange = function () { select(Math.max(0, Math.min(hello.n - 1, +$("node").value))); };
    var es = new EventSource("/events");
    es.addEventListener("hello", function (e) { if (!hello) { setup(JSON.parse(e.data)); } });
    es.onmessage = function (e) { if (hello) { render(JSON.parse(e.data)); } };
    // A page the user navigates away from may be kept frozen by the browser (back/forward cache) with its
    // connection open: close it, so the server stops pushing to a page nobody sees; a restored page reloads.
    window.addEventListener("pagehide", function () { es.close(); });
    window.addEventListener("pageshow", function (e) { if (e.persisted) { location.reload(); } });
  }

  // ---- replay
  function go(i) {
    i = Math.max(0, Math.min(total - 1, i));
    var t0 = performance.now();
    return fetch("/frame?i=" + i).then(function (r) { return r.json(); }).then(function (f) {
      frameIndex = f.i;
      total = f.total;
      render(f);
      $("r-index").value = f.i;
      $("r-slider").max = total - 1;
      $("r-slider").value = f.i;
      $("event").textContent = "event " + f.i + " of " + total + " at " + f.now_ms.toFixed(3) + " ms: " + f.event.text;
      $("event").setAttribute("data-index", f.i);
      if (f.violation) {
        violationIndex = f.violation.index;
        $("r-violation").hidden = false;
        $("violation").textContent = (f.i === violationIndex ? "VIOLATION at this event: " : "violation at event " +
          violationIndex + ": ") + f.violation.text;
        $("violation").setAttribute("data-here", f.i === violationIndex ? "yes" : "no");
      }
      lamport(f);
      $("steptime").textContent = "frame served and drawn in " + (performance.now() - t0).toFixed(1) + " ms (server: " +
        f.server_ms.toFixed(2) + " ms)";
    });
  }

  function lamport(f) {
    var svg = $("lamport");
    svg.innerHTML = "";
    var w = svg.clientWidth || 1200, h = svg.clientHeight || 420, n = hello.n;
    var evs = f.window.events;
    if (!evs.length) { return; }
    var lo = f.window.from, hi = f.window.to;
    var lx = function (v) { return 30 + (w - 60) * (n === 1 ? 0.5 : v / (n - 1)); };
    var ly = function (i) { return 20 + (h - 40) * (i - lo) / Math.max(1, hi - lo); };
    for (var v = 0; v < n; v++) {
      el("line", {x1: lx(v), y1: 10, x2: lx(v), y2: h - 10, "class": "lane"}, svg);
      if (n <= 64) { var t = el("text", {x: lx(v) - 4, y: 10, "font-size": "10"}, svg); t.textContent = v; }
    }
    var at = {};
    evs.forEach(function (e) { at[e.i] = e; });
    evs.forEach(function (e) {
      if (e.k === "recv" && e.link >= 0) {
        var s = at[e.link];
        var sy = s ? ly(e.link) : 20; // a send before the window starts from its top
        el("line", {x1: lx(e.peer), y1: sy, x2: lx(e.node), y2: ly(e.i), "class": "msg"}, svg);
      }
    });
    evs.forEach(function (e) {
      var cls = "dot" + (e.k === "crash" || e.k === "partition" || e.k === "heal" ? " fault" : e.k === "deliver" ? " deliver" : e.k === "token" ? " token" : "");
      el("circle", {cx: lx(e.node < 0 ? 0 : e.node), cy: ly(e.i), r: e.k === "send" || e.k === "recv" ? 1.5 : 3, "class": cls}, svg);
    });
    el("line", {x1: 0, y1: ly(f.i), x2: w, y2: ly(f.i), "class": "cur", id: "cur-line"}, svg);
    if (violationIndex >= lo && violationIndex <= hi) {
      el("line", {x1: 0, y1: ly(violationIndex), x2: w, y2: ly(violationIndex), "class": "viol", id: "viol-line"}, svg);
    }
  }

  function wireReplay() {
    $("r-first").onclick = function () { go(0); };
    $("r-back10").onclick = function () { go(frameIndex - 10); };
    $("r-back").onclick = function () { go(frameIndex - 1); };
    $("r-fwd").onclick = function () { go(frameIndex + 1); };
    $("r-fwd10").onclick = function () { go(frameIndex + 10); };
    $("r-last").onclick = function () { go(total - 1); };
    $("r-go").onclick = function () { go(+$("r-index").value); };
    $("r-slider").onchange = function () { go(+$("r-slider").value); };
    $("r-violation").onclick = function () { go(violationIndex); };
    document.addEventListener("keydown", function (e) {
      if (e.target.tagName === "INPUT") { return; }
      if (e.key === "ArrowRight") { go(frameIndex + 1); } else if (e.key === "ArrowLeft") { go(frameIndex - 1); }
    });
    go(0);
  }

  fetch("/hello").then(function (r) { return r.json(); }).then(function (h) {
    if (h.mode === "replay") {
      setup(h);
      total = h.total;
      wireReplay();
    } else {
      wireLive();
    }
  });
})();
