// DuisPrioritiser live dashboard: polls ./data every second and draws with hand-written SVG (no library, no CDN).
"use strict";
(() => {
  const LEVELS = ["Critical", "High", "Normal", "Low", "Bulk"];
  const COLOURS = ["var(--critical)", "var(--high)", "var(--normal)", "var(--low)", "var(--bulk)"];
  const MAX_POINTS = 3600, REFRESH_MS = 1000, SVG = "http://www.w3.org/2000/svg";
  // A history point is [sequence, unixMs, critical, high, normal, low, bulk, deferred, releasedTotal, rejectedTotal, inFlight].
  let history = [], since = 0, failures = 0;

  const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
  const fmt = (n) => n === null || n === undefined ? "—" : Math.round(n).toLocaleString("en-GB");
  const secs = (s) => s === null || s === undefined ? "—" : s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
  const set = (id, text) => { const e = $(id); if (e && e.textContent !== text) e.textContent = text; };
  const tile = (id, cls) => { const e = document.getElementById(id); if (e) e.className = `tile ${cls}`; };

  function el(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function ratePerSecond(points, index, column) {
    if (index < 1) return 0;
    const a = points[index - 1], b = points[index];
    const dt = (b[1] - a[1]) / 1000;
    return dt > 0 ? Math.max(0, (b[column] - a[column]) / dt) : 0;
  }

  function recentRate(column, seconds) {
    if (history.length < 2) return null;
    const last = history[history.length - 1];
    let first = history[0];
    for (let i = history.length - 1; i >= 0; i--) { first = history[i]; if (last[1] - history[i][1] >= seconds * 1000) break; }
    const dt = (last[1] - first[1]) / 1000;
    return dt > 0 ? Math.max(0, (last[column] - first[column]) / dt) : null;
  }

  // The charts span the last hour; until an hour of history exists, from the first point (at least 2 minutes).
  function timeWindow() {
    const end = history[history.length - 1][1];
    const start = Math.min(Math.max(end - 3600 * 1000, history[0][1]), end - 120 * 1000);
    return [start, end];
  }

  function timeAxis(svg, x, start, end, y) {
    const minutes = (end - start) / 60000;
    for (let i = 0; i <= 4; i++) {
      const t = start + (end - start) * i / 4;
      const ago = minutes * (4 - i) / 4;
      const label = i === 4 ? "now" : minutes < 10 ? `−${Math.round(ago * 60)} s` : `−${Math.round(ago)} min`;
      svg.append(el("text", { class: "axis", x: x(t), y, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, label));
    }
  }

  function drawHeld() {
    const svg = document.getElementById("held-chart");
    const W = 900, H = 240, left = 56, bottom = 18, top = 8;
    svg.replaceChildren();
    if (history.length === 0) return;
    const [start, end] = timeWindow();
    let max = 1;
    for (const p of history) { let s = 0; for (let l = 0; l < 5; l++) s += p[2 + l]; if (s > max) max = s; }
    const x = (t) => left + (W - left - 4) * (t - start) / (end - start || 1);
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    for (let g = 0; g <= 4; g++) {
      const v = max * g / 4;
      svg.append(el("line", { class: "grid", x1: left, x2: W, y1: y(v), y2: y(v) }));
      svg.append(el("text", { class: "axis", x: left - 6, y: y(v) + 4, "text-anchor": "end" }, fmt(v)));
    }
    timeAxis(svg, x, start, end, H - 4);
    // Stacked areas, lowest priority at the bottom so Critical sits on top where the eye lands.
    const base = history.map(() => 0);
    for (let l = 4; l >= 0; l--) {
      const upper = history.map((p, i) => base[i] + p[2 + l]);
      let d = `M${x(history[0][1])},${y(base[0])}`;
      for (let i = 0; i < history.length; i++) d += `L${x(history[i][1])},${y(upper[i])}`;
      for (let i = history.length - 1; i >= 0; i--) d += `L${x(history[i][1])},${y(base[i])}`;
      svg.append(el("path", { d: d + "Z", fill: COLOURS[l], "fill-opacity": "0.75", stroke: COLOURS[l], "stroke-width": "1", "data-level": LEVELS[l] }));
      for (let i = 0; i < base.length; i++) base[i] = upper[i];
    }
  }

  function drawRate() {
    const svg = document.getElementById("rate-chart");
    const W = 900, H = 90, left = 56, bottom = 4, top = 6;
    svg.replaceChildren();
    if (history.length < 2) return;
    const rates = history.map((_, i) => ratePerSecond(history, i, 8));
    const [start, end] = timeWindow();
    const max = Math.max(1, ...rates);
    const x = (t) => left + (W - left - 4) * (t - start) / (end - start || 1);
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    svg.append(el("line", { class: "grid", x1: left, x2: W, y1: y(max), y2: y(max) }));
    svg.append(el("text", { class: "axis", x: left - 6, y: y(max) + 4, "text-anchor": "end" }, fmt(max)));
    svg.append(el("text", { class: "axis", x: left - 6, y: y(0), "text-anchor": "end" }, "0"));
    let d = "";
    for (let i = 1; i < history.length; i++) d += `${i === 1 ? "M" : "L"}${x(history[i][1])},${y(rates[i])}`;
    svg.append(el("path", { d, fill: "none", stroke: "var(--ok)", "stroke-width": "1.5" }));
  }

  function render(data) {
    const s = data.snapshot;
    set("updated", new Date(s.takenAt).toLocaleTimeString("en-GB"));
    set("mode", s.mode);
    tile("tile-mode", s.mode === "Recovery" ? "warn" : "ok");
    set("release", s.releasePaused === null ? "n/a" : s.releasePaused ? "Paused" : "Running");
    tile("tile-release", s.releasePaused ? "bad" : "ok");
    set("held", fmt(s.held));
    const fill = s.capacity > 0 ? s.held / s.capacity : 0;
    tile("tile-held", fill >= 0.9 ? "bad" : fill >= 0.5 ? "warn" : "");
    set("capacity", fmt(s.capacity));
    set("deferred", fmt(s.deferred));
    set("in-flight", fmt(s.inFlight));
    set("in-flight-limit", s.inFlightLimit === null ? "n/a" : fmt(s.inFlightLimit));
    const rate = recentRate(8, 5);
    set("release-rate", rate === null ? "—" : fmt(rate));
    set("rejected", fmt(data.rejectedTotal));
    const reasons = Object.entries(data.rejectedByReason).map(([r, n]) => `${r} ${fmt(n)}`).join(" · ");
    set("rejected-reasons", reasons || "none");
    const rejectRate = recentRate(9, 5);
    tile("tile-rejected", rejectRate > 0 ? "bad" : "");
    set("dead-lettered", fmt(data.deadLetteredTotal));
    set("breaker", data.breaker === null ? "n/a" : String(data.breaker));
    tile("tile-breaker", data.breaker === "open" ? "bad" : data.breaker === "half-open" ? "warn" : data.breaker === "closed" ? "ok" : "");
    document.getElementById("wait-window").textContent = data.waitWindowSeconds;

    const body = document.getElementById("levels");
    if (body.children.length !== LEVELS.length) {
      body.replaceChildren(...LEVELS.map((level, i) => {
        const tr = document.createElement("tr");
        const name = document.createElement("td");
        name.className = "level";
        name.textContent = level;
        name.style.setProperty("--swatch", COLOURS[i]);
        tr.append(name);
        for (const column of ["held", "oldest", "p50", "p99", "samples"]) {
          const td = document.createElement("td");
          td.dataset.testid = `${column}-${level}`;
          tr.append(td);
        }
        return tr;
      }));
      document.getElementById("legend").replaceChildren(...LEVELS.map((level, i) => {
        const span = document.createElement("span");
        const swatch = document.createElement("i");
        swatch.style.background = COLOURS[i];
        span.append(swatch, level);
        return span;
      }));
    }
    for (const level of s.levels) {
      set(`held-${level.level}`, fmt(level.held));
      set(`oldest-${level.level}`, level.held === 0 ? "—" : secs(level.oldestWaitSeconds));
    }
    for (const w of data.waits) {
      set(`p50-${w.level}`, secs(w.p50Seconds));
      set(`p99-${w.level}`, secs(w.p99Seconds));
      set(`samples-${w.level}`, fmt(w.samples));
    }
    drawHeld();
    drawRate();
  }

  async function refresh() {
    try {
      const response = await fetch(`data?since=${since}`, { cache: "no-store", credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (data.history.length > 0) {
        if (data.history[0][0] !== since + 1) history = [];
        history.push(...data.history);
        if (history.length > MAX_POINTS) history.splice(0, history.length - MAX_POINTS);
        since = history[history.length - 1][0];
      }
      render(data);
      failures = 0;
      const status = $("status");
      status.textContent = "live";
      status.className = "status live";
    } catch (error) {
      failures++;
      const status = $("status");
      status.textContent = `no data (${error.message})`;
      status.className = "status stale";
    } finally {
      setTimeout(refresh, failures > 5 ? REFRESH_MS * 5 : REFRESH_MS);
    }
  }

  refresh();
})();
