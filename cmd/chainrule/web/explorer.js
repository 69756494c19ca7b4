// The graph explorer: draws the graph that chainrule computed (the JSON of
// chainrule serve's /api/graph, or the one embedded by graph --format html)
// and steps through its forward and backward sweeps. Every value, local
// gradient, tangent and adjoint comes from chainrule; this script only
// shows them (and, in the captions, the products and sums of the chain
// rule that the shown numbers make).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const embedded = JSON.parse($("data").textContent);
  const isStatic = !!(embedded && embedded.static);

  let data = null; // explore's JSON
  let view = null; // data.graph, or data.steps with "show the steps"
  let step = 0;
  let dir = 0; // the input whose tangents the forward sweep shows
  let seq = 0; // the latest request

  // num decodes chainrule's JSON numbers ("NaN", "Inf", "-Inf" are strings).
  function num(v) {
    if (typeof v === "string") return v === "NaN" ? NaN : v === "Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v);
    return v;
  }

  // g6 formats x like Go's strconv.FormatFloat(x, 'g', 6, 64), as the CLI's
  // dot view does: 6 significant digits, exponent form below 1e-4 and from 1e6.
  function g6(x) {
    x = num(x);
    if (x === null || x === undefined) return "?";
    if (Number.isNaN(x)) return "NaN";
    if (x === Infinity) return "+Inf";
    if (x === -Infinity) return "-Inf";
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    const sign = x < 0 ? "-" : "";
    const [m, e] = Math.abs(x).toExponential(5).split("e");
    const exp = Number(e);
    const digits = m.replace(".", "");
    if (exp < -4 || exp >= 6) {
      const mant = (digits[0] + "." + digits.slice(1)).replace(/\.?0+$/, "");
      const ae = Math.abs(exp);
      return sign + mant + "e" + (exp < 0 ? "-" : "+") + (ae < 10 ? "0" : "") + ae;
    }
    let s;
    if (exp >= 0) {
      const frac = digits.slice(exp + 1).replace(/0+$/, "");
      s = digits.slice(0, exp + 1) + (frac ? "." + frac : "");
    } else {
      s = ("0." + "0".repeat(-exp - 1) + digits).replace(/0+$/, "");
    }
    return sign + s;
  }
  // full is the value in full, for hovering.
  function full(x) {
    x = num(x);
    if (Number.isNaN(x)) return "NaN";
    if (x === Infinity) return "+Inf";
    if (x === -Infinity) return "-Inf";
    return String(x);
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  // n is a number for HTML: 6 digits, the full value on hover.
  function n(x) {
    return '<span class="num" title="' + esc(full(x)) + '">' + esc(g6(x)) + "</span>";
  }
  // paren puts a negative number in parentheses inside a product.
  function np(x) {
    return num(x) < 0 ? "(" + n(x) + ")" : n(x);
  }
  function clip(s, k) {
    s = String(s);
    return s.length > k ? s.slice(0, k - 1) + "…" : s;
  }

  // ---- the timeline: start, a step per node forward, the seed, a step
  // per edge backward, the end.
  function counts() {
    const N = view.nodes.length;
    const hasOut = view.output !== null;
    const B = view.backward.length;
    return { N, B, hasOut, seed: N + 1, last: hasOut ? N + 2 + B : N + 1 };
  }
  function outName() {
    return view.output !== null ? view.nodes[view.output].name : "f";
  }
  function varName() {
    return data.variables[dir];
  }

  // ---- drawing
  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function textLine(parent, cls, x, y, shown, hover) {
    const t = el("text", { class: cls, x: x, y: y }, parent);
    const span = el("tspan", {}, t);
    span.textContent = shown;
    const title = el("title", {}, t);
    title.textContent = hover;
    return t;
  }

  let nodeEls = [];
  let edgeEls = {}; // "to/arg" → g
  function draw() {
    const svg = $("graph");
    svg.textContent = "";
    const W = view.nodeWidth, H = view.nodeHeight;
    // Shrink a slightly too wide graph to fit, down to 85%; scroll beyond.
    const cw = $("canvas").clientWidth - 4;
    const scale = cw > 0 ? Math.max(0.85, Math.min(1, cw / view.width)) : 1;
    svg.setAttribute("width", Math.round(view.width * scale));
    svg.setAttribute("height", Math.round((view.height + 30) * scale));
    svg.setAttribute("viewBox", "0 0 " + view.width + " " + (view.height + 30));
    const defs = el("defs", {}, svg);
    const mk = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z" }, mk);
    const edges = el("g", {}, svg);
    const labels = el("g", {}, svg);
    edgeEls = {};
    // Edges leave a node's right side and enter the left side spread out,
    // in the order of the uses and of the arguments.
    const outs = view.nodes.map(() => []);
    const placed = []; // the edge labels' centres and widths
    // Each side in the order of the other ends' heights, so that they do not cross.
    view.nodes.forEach((nd, k) => nd.args.forEach((a, j) => { if (a.node >= 0) outs[a.node].push({ key: k + "/" + j, y: nd.y }); }));
    outs.forEach((o) => o.sort((p, q) => p.y - q.y));
    view.nodes.forEach((nd, k) => {
      const ins = nd.args.map((a, j) => ({ a, j })).filter((e) => e.a.node >= 0).sort((p, q) => view.nodes[p.a.node].y - view.nodes[q.a.node].y);
      nd.args.forEach((a, j) => {
        if (a.node < 0) return;
        const src = view.nodes[a.node];
        const o = outs[a.node];
        const x1 = src.x + W, y1 = src.y + H * (o.findIndex((e) => e.key === k + "/" + j) + 1) / (o.length + 1);
        const x2 = nd.x, y2 = nd.y + H * (ins.findIndex((e) => e.j === j) + 1) / (ins.length + 1);
        const dx = Math.max(40, (x2 - x1) / 2);
        const g = el("g", { class: "edge", "data-from": src.name, "data-to": nd.name }, edges);
        el("path", { d: `M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`, "marker-end": "url(#arrow)" }, g);
        // The label on the curve in the gap just before the target, where
        // no box is.
        const bez = (t, p0, p1, p2, p3) => (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t * t * p2 + t ** 3 * p3;
        const want = Math.max((x1 + x2) / 2, x2 - (view.layerGap || 150) / 2);
        let lo = 0, hi = 1;
        for (let it = 0; it < 30; it++) {
          const mid = (lo + hi) / 2;
          if (bez(mid, x1, x1 + dx, x2 - dx, x2) < want) lo = mid; else hi = mid;
        }
        const mx = want;
        const lg = el("g", { class: "edge", "data-from": src.name, "data-to": nd.name }, labels);
        const label = "∂" + nd.name + "/∂" + src.name + " = " + (a.local === null ? "?" : g6(a.local));
        const w = label.length * 6.4 + 8;
        // Move a label that would cover another one up or down a line.
        let my = bez(lo, y1, y1, y2, y2);
        const y0 = my;
        for (let tries = 1; tries < 9 && placed.some((p) => Math.abs(p.x - mx) < (p.w + w) / 2 && Math.abs(p.y - my) < 15); tries++) {
          my = y0 + (tries % 2 ? 1 : -1) * Math.ceil(tries / 2) * 15;
        }
        placed.push({ x: mx, y: my, w: w });
        el("rect", { x: mx - w / 2, y: my - 10, width: w, height: 15, rx: 3 }, lg);
        const t = textLine(lg, "local", mx, my + 1.5, label, "local gradient ∂" + nd.name + "/∂" + src.name + " = " + (a.local === null ? "none" : full(a.local)));
        t.setAttribute("text-anchor", "middle");
        t.setAttribute("data-value", a.local === null ? "" : full(a.local));
        edgeEls[k + "/" + j] = [g, lg];
      });
    });
    const consts = el("g", {}, svg);
    view.consts.forEach((c) => {
      const nd = view.nodes[c.node];
      const g = el("g", { class: "const" }, consts);
      el("path", { d: `M ${c.x + 32} ${c.y} L ${c.x + 32} ${nd.y + H}` }, g);
      el("rect", { x: c.x, y: c.y, width: 64, height: 20, rx: 10 }, g);
      const t = textLine(g, "", c.x + 32, c.y + 14, clip(c.text, 9), "the constant " + c.text + " (argument " + (c.arg + 1) + " of " + nd.name + "; no gradient flows to it)");
      t.setAttribute("text-anchor", "middle");
    });
    const ng = el("g", {}, svg);
    nodeEls = view.nodes.map((nd) => {
      const g = el("g", { class: "node " + nd.kind, "data-name": nd.name }, ng);
      el("rect", { x: nd.x, y: nd.y, width: W, height: H, rx: nd.kind === "input" ? 16 : 4 }, g);
      let y = nd.y + 18;
      const x = nd.x + 8;
      const head = nd.kind === "input" ? nd.name + " (input)" : nd.name + " = " + nd.def;
      textLine(g, "head", x, y, clip(head, 26), head + (nd.kind === "output" ? "  (the output)" : ""));
      const lines = {};
      if (data.graph.nodes.some((m) => m.computes !== null) || view.nodes.some((m) => m.computes !== null)) {
        y += 17;
        const c = nd.computes === null ? "" : nd.computes;
        lines.terms = textLine(g, "terms", x, y, clip(c, 26), c);
      }
      for (const cls of ["val", "tan", "adj"]) {
        y += 17;
        lines[cls] = textLine(g, cls, x, y, "", "");
      }
      return { g, lines };
    });
  }

  function setLine(t, cls, shown, hover, value) {
    t.setAttribute("class", cls);
    t.firstChild.textContent = shown;
    t.lastChild.textContent = hover;
    if (value === undefined) t.removeAttribute("data-value");
    else t.setAttribute("data-value", value);
  }

  // ---- the state at the current step
  function render() {
    const c = counts();
    step = Math.max(0, Math.min(step, c.last));
    const fwd = Math.min(step, c.N); // nodes evaluated
    const seeded = c.hasOut && step >= c.seed;
    const back = c.hasOut ? Math.max(0, Math.min(step - c.seed, c.B)) : 0; // edges done
    const done = step === c.last;
    const out = outName(), v = varName();
    // Adjoints so far.
    const got = view.nodes.map(() => []);
    for (let i = 0; i < back; i++) got[view.backward[i].to].push(view.backward[i]);
    const uses = view.nodes.map(() => 0);
    view.backward.forEach((s) => uses[s.to]++);
    view.nodes.forEach((nd, k) => {
      const L = nodeEls[k].lines;
      nodeEls[k].g.classList.remove("cur", "recv");
      if (k < fwd) {
        setLine(L.val, "val", "value " + g6(nd.value), full(nd.value), full(nd.value));
        const t = v === undefined ? null : nd.tangents[dir];
        if (t === null) setLine(L.tan, "tan", "", "");
        else setLine(L.tan, "tan", "d" + nd.name + "/d" + v + " = " + g6(t), "tangent for input " + v + ": d" + nd.name + "/d" + v + " = " + full(t), full(t));
      } else {
        setLine(L.val, "pending", "value …", "not yet computed: step the forward sweep (→)");
        setLine(L.tan, "pending", v === undefined ? "" : "d" + nd.name + "/d" + v + " = …", "");
      }
      const label = "d" + out + "/d" + nd.name;
      const complete = (k === view.output && seeded) || (got[k].length === uses[k] && (got[k].length > 0 || done));
      if (!seeded) {
        setLine(L.adj, "pending", c.hasOut ? label + " = …" : "", "the adjoint: step the backward sweep");
      } else if (complete) {
        setLine(L.adj, "adj", label + " = " + g6(nd.adjoint), "adjoint " + label + " = " + full(nd.adjoint), full(nd.adjoint));
      } else if (got[k].length > 0) {
        const s = got[k][got[k].length - 1];
        setLine(L.adj, "adj", label + " = " + g6(s.sum) + " (" + s.use + "/" + s.uses + ")", "the sum so far over " + s.use + " of its " + s.uses + " uses: " + full(s.sum), "");
      } else {
        setLine(L.adj, "pending", label + " = …", "waiting for the nodes that use " + nd.name);
      }
    });
    for (const k in edgeEls) edgeEls[k].forEach((e) => e.classList.remove("on", "back"));
    let cap = "", phase = "";
    if (step === 0) {
      phase = "The graph";
      cap = "f = " + esc(data.expr) + (data.at ? " at " + esc(data.at.split(",").join(", ")) : "") +
        "\n\n" + view.nodes.length + " nodes, laid out left to right: inputs, intermediate variables, the output (thick border)." +
        "\n\nPress → to run the forward sweep, node by node.";
    } else if (step <= c.N) {
      const k = step - 1, nd = view.nodes[k];
      nodeEls[k].g.classList.add("cur");
      phase = "Forward sweep: step " + step + " of " + c.N;
      if (nd.kind === "input") {
        cap = esc(nd.name) + " is an input: " + esc(nd.name) + " = " + n(nd.value) + ".";
        if (v !== undefined) cap += "\nIts tangent for input " + esc(v) + ": d" + esc(nd.name) + "/d" + esc(v) + " = " + n(nd.tangents[dir]) +
          (nd.name === v ? " (the seed)" : " (only " + esc(v) + " is seeded with 1)");
      } else {
        cap = esc(nd.name) + " = " + esc(nd.def) + (nd.computes ? "   [" + esc(nd.computes) + "]" : "") + "\n    = " + n(nd.value);
        const terms = [], prods = [];
        nd.args.forEach((a, j) => {
          if (a.node < 0) return;
          const src = view.nodes[a.node];
          (edgeEls[k + "/" + j] || []).forEach((e) => e.classList.add("on"));
          if (v === undefined) return;
          terms.push("∂" + esc(nd.name) + "/∂" + esc(src.name) + " · d" + esc(src.name) + "/d" + esc(v));
          prods.push((a.local === null ? "?" : np(a.local)) + " × " + np(src.tangents[dir]));
        });
        if (v !== undefined) {
          cap += "\n\nTangent for input " + esc(v) + " (forward mode):\nd" + esc(nd.name) + "/d" + esc(v) + " = " +
            (terms.length ? terms.join(" + ") + "\n    = " + prods.join(" + ") + "\n    = " : "") + n(nd.tangents[dir]);
        }
      }
      if (step === c.N) cap += c.hasOut ? "\n\nThe forward sweep is done. Press → for the backward sweep." : "\n\nThe output is a constant: there is no backward sweep.";
    } else if (step === c.seed && c.hasOut) {
      nodeEls[view.output].g.classList.add("cur");
      phase = "Backward sweep: the seed";
      cap = "Reverse mode starts at the output " + esc(out) + " with its adjoint\nd" + esc(out) + "/d" + esc(out) + " = " + n(1) +
        ".\n\nEach step then multiplies a node's adjoint by the local gradient of one of its edges and adds the product to the adjoint of the node the edge comes from.";
    } else if (!done) {
      const i = step - c.seed - 1, s = view.backward[i];
      const from = view.nodes[s.from], to = view.nodes[s.to];
      nodeEls[s.from].g.classList.add("cur");
      nodeEls[s.to].g.classList.add("recv");
      (edgeEls[s.from + "/" + s.arg] || []).forEach((e) => e.classList.add("back"));
      phase = "Backward sweep: step " + (i + 1) + " of " + c.B;
      const lab = "d" + esc(out) + "/d" + esc(to.name);
      cap = "Edge " + esc(to.name) + " → " + esc(from.name) + ":\n" + lab + " += d" + esc(out) + "/d" + esc(from.name) + " × ∂" + esc(from.name) + "/∂" + esc(to.name) +
        "\n    = " + np(s.adjoint) + " × " + (s.local === null ? "?" : np(s.local)) + " = " + (s.contribution === null ? "?" : n(s.contribution));
      const parts = got[s.to].map((g) => (g.contribution === null ? "?" : np(g.contribution)));
      cap += "\n\n" + lab + " so far: " + (parts.length > 1 ? parts.join(" + ") + " = " : "") + n(s.sum) +
        "\n(" + s.use + " of " + s.uses + " use" + (s.uses === 1 ? "" : "s") + " of " + esc(to.name) + (s.use === s.uses ? ": complete" : ": more to come") + ")";
    } else {
      phase = "Done";
      cap = c.hasOut ? "Both sweeps are done. The gradient is the adjoints of the inputs (reverse mode); the forward sweep gave the tangents of " + esc(out) + " for input " + esc(v === undefined ? "-" : v) + "." :
        "The output is a constant; its gradient is 0.";
    }
    $("phase").textContent = phase;
    $("caption").innerHTML = cap;
    $("stepno").textContent = "step " + step + " of " + c.last;
    renderResult(done);
    const cur = document.querySelector(".node.recv") || document.querySelector(".node.cur");
    if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function renderResult(done) {
    const out = outName();
    let h = '<div class="row">f = ' + esc(out) + " = " + n(data.value) + "</div>";
    if (!done) {
      h += '<div class="row pending">The gradient appears at the end of the backward sweep (End).</div>';
    } else if (data.variables.length === 0) {
      h += '<div class="row">No variables: nothing to differentiate by.</div>';
    } else {
      h += '<div class="row">gradient by reverse mode (adjoints of the inputs):</div>';
      data.variables.forEach((name, k) => {
        h += '<div class="row grad" data-var="' + esc(name) + '">∂' + esc(out) + "/∂" + esc(name) + " = " +
          '<span class="num gradv" title="' + esc(full(data.gradient[k])) + '">' + esc(g6(data.gradient[k])) + "</span>" +
          '<div class="paths">= ' + esc(view.chains[k]) + "</div></div>";
      });
    }
    $("result").innerHTML = h;
  }

  function legend() {
    const out = outName();
    let h = "<p>Box: a node, its definition, value, tangent and adjoint; rounded blue: an input; thick green border: the output " + esc(out) + ".</p>" +
      "<p>Edge a → b labelled ∂b/∂a: the local (partial) gradient of b with respect to its argument a.</p>" +
      "<p>Dashed pill: a constant argument, set apart (no gradient flows to it).</p>" +
      "<p>db/dx (blue): the tangent, the total derivative of b with respect to the input x (forward mode).</p>" +
      "<p>d" + esc(out) + "/db (red): the adjoint, the total derivative of the output with respect to b (reverse mode): the sum over the uses of b of their adjoint × their edge.</p>" +
      "<p>Numbers to 6 significant digits; hover for the full value.</p>";
    (view.notes || []).forEach((t) => (h += "<p>" + esc(t) + "</p>"));
    if (data.stepsNote) h += "<p>" + esc(data.stepsNote) + "</p>";
    $("legend").innerHTML = h;
  }

  function show(d) {
    data = d;
    view = $("showsteps").checked && d.steps ? d.steps : d.graph;
    $("stepsbox").hidden = !d.steps;
    const sel = $("dir");
    sel.textContent = "";
    d.variables.forEach((name, k) => {
      const o = document.createElement("option");
      o.value = k;
      o.textContent = name;
      sel.appendChild(o);
    });
    if (dir >= d.variables.length) dir = 0;
    sel.value = dir;
    $("dirbox").hidden = d.variables.length === 0;
    draw();
    legend();
    render();
  }

  function showError(e) {
    $("errtext").textContent = e.text || e.error;
    $("error").hidden = false;
    const atErr = /^point:/.test(e.error || "");
    $("expr").classList.toggle("bad", !atErr);
    $("at").classList.toggle("bad", atErr);
    if (e.line && e.column && document.activeElement === $("expr")) {
      // Put the caret at the position the error names.
      const lines = $("expr").value.split("\n");
      let off = 0;
      for (let i = 0; i < e.line - 1 && i < lines.length; i++) off += lines[i].length + 1;
      off += [...(lines[e.line - 1] || "")].slice(0, e.column - 1).join("").length;
      $("expr").setSelectionRange(off, off);
    }
  }
  function clearError() {
    $("error").hidden = true;
    $("expr").classList.remove("bad");
    $("at").classList.remove("bad");
  }

  async function compute() {
    const my = ++seq;
    document.body.dataset.state = "loading";
    let res, body;
    try {
      res = await fetch("api/graph", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ expr: $("expr").value, at: $("at").value }),
      });
      body = await res.json();
    } catch (err) {
      if (my !== seq) return;
      showError({ error: "no answer from chainrule serve: " + err });
      document.body.dataset.state = "error";
      return;
    }
    if (my !== seq) return;
    if (!res.ok) {
      showError(body);
      document.body.dataset.state = "error";
      return;
    }
    clearError();
    step = 0;
    show(body);
    // The address says what is shown, to share or reload it.
    history.replaceState(null, "", "#" + new URLSearchParams({ expr: body.expr, at: body.at }));
    document.body.dataset.state = "ready";
  }

  function shellQuote(s) {
    return "'" + s.replace(/'/g, "'\\''") + "'";
  }
  // staticNotice explains, in the file written by graph --format html, that
  // another expression needs chainrule serve.
  function staticNotice() {
    const e = $("expr").value, a = $("at").value;
    const changed = e !== data.expr || a !== data.at;
    $("notice").hidden = !changed;
    if (!changed) return;
    $("notice").innerHTML = "This file was written by <code>chainrule graph --format html</code> for f = " + esc(data.expr) +
      (data.at ? " at " + esc(data.at) : "") + ", computed in advance: it has no server to compute another expression. " +
      "Run <code>chainrule serve</code> and open the address it prints, or run <code>chainrule graph " + esc(shellQuote(e)) +
      (a.trim() ? " --at " + esc(shellQuote(a)) : "") + " --format html -o graph.html</code>.";
  }

  let timer = 0;
  function edited() {
    if (isStatic) {
      staticNotice();
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(compute, 400);
  }
  $("expr").addEventListener("input", edited);
  $("at").addEventListener("input", edited);
  $("form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    if (isStatic) staticNotice();
    else compute();
  });
  const go = (f) => () => {
    if (!data) return;
    f();
    render();
  };
  $("first").addEventListener("click", go(() => (step = 0)));
  $("prev").addEventListener("click", go(() => step--));
  $("next").addEventListener("click", go(() => step++));
  $("last").addEventListener("click", go(() => (step = counts().last)));
  $("dir").addEventListener("change", go(() => (dir = Number($("dir").value))));
  $("showsteps").addEventListener("change", () => {
    if (!data) return;
    step = 0;
    show(data);
  });
  document.addEventListener("keydown", (ev) => {
    const tag = ev.target && ev.target.tagName;
    if (!data || tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const keys = { ArrowRight: () => step++, ArrowLeft: () => step--, Home: () => (step = 0), End: () => (step = counts().last) };
    if (!keys[ev.key]) return;
    ev.preventDefault();
    keys[ev.key]();
    render();
  });

  window.chainruleFormat = g6; // for the browser test: checked against Go's 'g' format

  if (isStatic) {
    $("expr").value = embedded.expr;
    $("at").value = embedded.at;
    $("go").title = "this file cannot compute: run chainrule serve";
    show(embedded);
    document.body.dataset.state = "ready";
  } else {
    const q = new URLSearchParams(location.hash.slice(1));
    if (q.has("expr")) {
      $("expr").value = q.get("expr");
      $("at").value = q.get("at") || "";
    }
    compute();
  }
})();
