// kvsim report: verdict selection, the time cursor, and details on hover. No network, no libraries.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("kvsim-data").textContent);
  const body = document.body;

  // --- Verdicts: select one, mark its witness in its model's diagram, show its sentences. ---
  const witnessPanel = document.getElementById("witness");
  function clearSelection() {
    document.querySelectorAll(".highlight").forEach((e) => e.classList.remove("highlight"));
    document.querySelectorAll("button.verdict[aria-pressed=true]").forEach((b) => b.setAttribute("aria-pressed", "false"));
    body.dataset.selected = "";
    witnessPanel.textContent = "";
  }
  function select(model, property) {
    clearSelection();
    const verdict = (data.verdicts[model] || {})[property];
    const button = document.getElementById("verdict-" + model + "-" + property);
    if (!verdict || !button) return false;
    button.setAttribute("aria-pressed", "true");
    body.dataset.selected = model + ":" + property;
    const section = document.getElementById("model-" + model);
    const ops = new Set((verdict.operations || []).map(String));
    section.querySelectorAll("[data-witness]").forEach((e) => {
      if (e.getAttribute("data-witness").split(" ").includes(property)) e.classList.add("highlight");
    });
    section.querySelectorAll(".op[data-op]").forEach((e) => {
      if (ops.has(e.getAttribute("data-op"))) e.classList.add("highlight");
    });
    const heading = document.createElement("p");
    const word = verdict.ok === true ? "holds" : verdict.ok === false ? "broken" : "unknown";
    heading.textContent = property.replace(/_/g, " ") + " under " + model + ": " + word +
      (verdict.anomaly ? " — " + verdict.anomaly : "");
    witnessPanel.appendChild(heading);
    if (verdict.witness.length) {
      const list = document.createElement("ul");
      verdict.witness.forEach((sentence) => {
        const item = document.createElement("li");
        item.textContent = sentence;
        list.appendChild(item);
      });
      witnessPanel.appendChild(list);
    }
    return true;
  }
  document.querySelectorAll("button.verdict").forEach((b) => {
    b.addEventListener("click", () => {
      if (b.getAttribute("aria-pressed") === "true") {
        clearSelection();
        return;
      }
      const model = b.dataset.model, property = b.dataset.property;
      select(model, property);
      document.getElementById("model-" + model).scrollIntoView({ block: "nearest", inline: "nearest" });
      try { history.replaceState(null, "", "#verdict=" + model + ":" + property); } catch (e) { /* file:// in some browsers */ }
    });
  });

  // --- The time cursor: each replica's store, hold-back queue and clocks at an instant. ---
  const timeline = data.timeline;
  const times = timeline.times;
  const slider = document.getElementById("slider");
  const now = document.getElementById("now");
  const statePanel = document.getElementById("state");
  slider.max = Math.max(0, times.length - 1);
  slider.value = slider.max;
  if (timeline.thinned) {
    document.getElementById("thinned").textContent = "This run has " + timeline.distinct +
      " distinct instants; the cursor steps through " + times.length + " of them, evenly spaced (the state shown at each is exact).";
  }
  const timed = Array.from(document.querySelectorAll("svg.spacetime [data-t]")).map((e) => [e, Number(e.getAttribute("data-t"))]);

  function stateAt(model, step) {
    const replicas = new Map();
    const get = (r) => {
      if (!replicas.has(r)) replicas.set(r, { store: new Map(), held: new Set(), lamport: 0, vector: null });
      return replicas.get(r);
    };
    const steps = timeline.models[model] || [];
    for (let i = 0; i <= step && i < steps.length; i++) {
      for (const c of steps[i]) {
        const r = get(c[1]);
        if (c[0] === "s") r.store.set(c[2], c[3]);
        else if (c[0] === "h") r.held.add(c[2]);
        else if (c[0] === "u") r.held.delete(c[2]);
        else if (c[0] === "l") r.lamport = c[2];
        else if (c[0] === "v") r.vector = c[2];
      }
    }
    return replicas;
  }
  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }
  function show(step) {
    const t = times.length ? times[step] : 0;
    now.textContent = "t=" + t + " ms (instant " + (Number(step) + 1) + " of " + times.length + ")";
    body.dataset.time = String(t);
    for (const [e, at] of timed) e.classList.toggle("future", at > t);
    statePanel.textContent = "";
    for (const model of timeline.order) {
      const table = document.createElement("table");
      table.className = "replica-state";
      table.dataset.model = model;
      const caption = document.createElement("caption");
      caption.textContent = model;
      table.appendChild(caption);
      const head = document.createElement("tr");
      for (const h of ["replica", "store", "held back", "Lamport", "vector"]) {
        const th = document.createElement("th");
        th.textContent = h;
        head.appendChild(th);
      }
      table.appendChild(head);
      const replicas = stateAt(model, step);
      for (const r of Array.from(replicas.keys()).sort((a, b) => a - b)) {
        const s = replicas.get(r);
        const row = document.createElement("tr");
        const pairs = Array.from(s.store.entries()).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        const shown = pairs.slice(0, 12).map(([k, v]) => k + "=" + v).join(" ");
        cell(row, "r" + r);
        cell(row, shown + (pairs.length > 12 ? " … (" + pairs.length + " keys)" : ""));
        cell(row, Array.from(s.held).join(" ") || "-");
        cell(row, String(s.lamport));
        cell(row, s.vector ? "[" + s.vector.join(",") + "]" : "-");
        table.appendChild(row);
      }
      statePanel.appendChild(table);
    }
  }
  function stepBy(delta) {
    const next = Math.min(Number(slider.max), Math.max(0, Number(slider.value) + delta));
    slider.value = next;
    show(next);
  }
  slider.addEventListener("input", () => show(Number(slider.value)));
  document.getElementById("back").addEventListener("click", () => stepBy(-1));
  document.getElementById("forward").addEventListener("click", () => stepBy(1));
  document.addEventListener("keydown", (ev) => {
    if (ev.target === slider || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.key === "[" || ev.key === "ArrowLeft") { stepBy(-1); ev.preventDefault(); }
    else if (ev.key === "]" || ev.key === "ArrowRight") { stepBy(1); ev.preventDefault(); }
    else if (ev.key === "Escape") clearSelection();
  });

  // --- Details: the hovered operation's or message's own <title>, in a panel. ---
  const details = document.getElementById("details");
  document.querySelectorAll("svg.spacetime").forEach((svg) => {
    svg.addEventListener("mouseover", (ev) => {
      const title = ev.target.querySelector && ev.target.querySelector(":scope > title");
      if (title) details.textContent = title.textContent;
    });
  });

  // `#verdict=<model>:<property>` selects a verdict, `t=<ms>` puts the cursor on the last instant at
  // or before it; joined by `&` (`#verdict=eventual:causal&t=60`).
  function fromFragment() {
    for (const part of location.hash.replace(/^#/, "").split("&")) {
      const verdict = /^verdict=([a-z_]+):([a-z_]+)$/.exec(part);
      if (verdict) select(verdict[1], verdict[2]);
      const at = /^t=(\d+)$/.exec(part);
      if (at) {
        let step = 0;
        while (step + 1 < times.length && times[step + 1] <= Number(at[1])) step++;
        slider.value = step;
        show(step);
      }
    }
  }
  window.addEventListener("hashchange", fromFragment);

  show(Number(slider.value));
  fromFragment();
})();
