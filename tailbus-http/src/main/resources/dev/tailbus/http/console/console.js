// The tailbus web console: topics with a live rate, the server's facts, and a live tail over
// Server-Sent Events. Plain JavaScript against the face's own JSON API; nothing else is loaded.
"use strict";

(function () {
  const RATE_WINDOW_MS = 5000;   // the rate is measured over this much of the past
  const TOPICS_EVERY_MS = 1000;
  const FACTS_EVERY_MS = 2000;
  const TAIL_MAX = 500;          // lines kept in the tail (and held while paused)

  const TOKEN_KEY = "tailbus-console-token"; // kept for this tab only (sessionStorage)

  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(TOKEN_KEY) || "";

  // the access token a server with --auth-tokens asks for, as the face expects it
  function authHeaders() { return token ? { Authorization: "Bearer " + token } : {}; }
  const samples = new Map();     // topic -> [{t, events}], newest last
  let facts = null, factsAt = 0;

  function text(el, value) { el.textContent = value; }

  function cell(row, value, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = value;
    row.appendChild(td);
    return td;
  }

  function shortTime(iso) {
    // 2026-11-25T13:45:00.123456789Z -> 2026-11-25 13:45:00.123
    return iso ? iso.replace("T", " ").replace(/(\.\d{3})\d*Z$/, "$1") : "";
  }

  function number(n) { return Number(n).toLocaleString("en-US"); }

  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = Number(n), i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v : v.toFixed(1)) + " " + units[i];
  }

  function duration(seconds) {
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600),
      m = Math.floor(seconds % 3600 / 60), s = Math.floor(seconds % 60);
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d || h || m ? m + "m " : "") + s + "s";
  }

  function rate(topic, events, now) {
    let list = samples.get(topic);
    if (!list) { list = []; samples.set(topic, list); }
    list.push({ t: now, events: events });
    while (list.length > 2 && now - list[1].t >= RATE_WINDOW_MS) list.shift();
    const first = list[0];
    const span = now - first.t;
    if (span <= 0) return null;
    return (events - first.events) * 1000 / span;
  }

  // problem: what failed, or nothing when the face answered
  function connected(problem) {
    const badge = $("connection");
    // a server with --auth-tokens refuses the console, which sends none: say so, it is not down
    const refused = problem && (problem.status === 401 || problem.status === 403);
    text(badge, !problem ? "live" : refused ? (token ? "access token refused" : "access token needed") : "unreachable");
    badge.title = problem ? problem.message : "";
    badge.classList.toggle("down", !!problem);
    // the token's field: wherever one is asked for or in use, so that it can be given or changed
    $("token-form").hidden = !refused && !token;
  }

  // the face's JSON error of a refused answer, else its status
  async function why(answer) {
    try { return (await answer.json()).error || "HTTP " + answer.status; } catch (e) { return "HTTP " + answer.status; }
  }

  async function getJson(path) {
    const answer = await fetch(path, { cache: "no-store", headers: authHeaders() });
    if (!answer.ok) {
      const problem = new Error(path + ": " + await why(answer));
      problem.status = answer.status;
      throw problem;
    }
    return answer.json();
  }

  async function refreshTopics() {
    let listing;
    try {
      listing = await getJson("/api/topics");
      connected(null);
    } catch (e) {
      connected(e);
      return;
    }
    const now = performance.now();
    const body = $("topics").tBodies[0];
    const rows = new Map();
    for (const tr of body.rows) rows.set(tr.dataset.topic, tr);
    const seen = new Set();
    for (const t of listing.topics) {
      seen.add(t.topic);
      const r = rate(t.topic, Number(t.events), now);
      let tr = rows.get(t.topic);
      if (!tr) {
        tr = document.createElement("tr");
        tr.dataset.topic = t.topic;
        const name = cell(tr, "", "topic");
        // allow line breaks after each '/' of a long topic, nowhere else
        t.topic.split("/").forEach((part, i, parts) => {
          name.appendChild(document.createTextNode(part + (i < parts.length - 1 ? "/" : "")));
          if (i < parts.length - 1) name.appendChild(document.createElement("wbr"));
        });
        name.title = "tail this topic";
        name.addEventListener("click", () => watchTopic(t.topic));
        cell(tr, "", "num events");
        cell(tr, "", "num rate");
        cell(tr, "", "num wide bytes");
        cell(tr, "", "wide first");
        const lastCell = cell(tr, "", "last");
        for (const cls of ["d", "h", "ms"]) {
          const span = document.createElement("span");
          span.className = cls;
          lastCell.appendChild(span);
        }
        // keep the table sorted by topic, as the server lists them
        let before = null;
        for (const other of body.rows) { if (other.dataset.topic > t.topic) { before = other; break; } }
        body.insertBefore(tr, before);
      }
      const old = tr.querySelector(".events").textContent;
      text(tr.querySelector(".events"), number(t.events));
      text(tr.querySelector(".rate"), r === null ? "-"
        : r < 10 ? r.toFixed(1) : Math.round(r).toLocaleString("en-US"));
      text(tr.querySelector(".bytes"), bytes(t.bytes));
      text(tr.querySelector(".first"), shortTime(t.first_time));
      const last = shortTime(t.last_time);
      const cut = last.indexOf(" ");
      const dot = last.lastIndexOf(".");
      text(tr.querySelector(".last .d"), last.substring(0, cut + 1));
      text(tr.querySelector(".last .h"), last.substring(cut + 1, dot));
      text(tr.querySelector(".last .ms"), last.substring(dot));
      tr.classList.toggle("fresh", old !== "" && old !== tr.querySelector(".events").textContent);
    }
    for (const [topic, tr] of rows) {
      if (!seen.has(topic)) { tr.remove(); samples.delete(topic); }
    }
    text($("topic-count"), listing.topics.length ? "(" + listing.topics.length + ")" : "");
    $("topics-empty").hidden = listing.topics.length > 0;
  }

  async function refreshFacts() {
    try {
      facts = await getJson("/api/server");
      factsAt = performance.now();
    } catch (e) {
      return;
    }
    text($("fact-version"), facts.version);
    text($("fact-store"), facts.store);
    text($("fact-patterns"), facts.store_patterns.join("  "));
    text($("fact-flush"), facts.flush);
    text($("fact-publishers"), String(facts.publishers));
    text($("fact-subscriptions"), facts.subscriptions + " (" + facts.event_streams + " over HTTP)");
    text($("fact-position"), number(facts.last_position));
    tickUptime();
  }

  function tickUptime() {
    if (facts) text($("fact-uptime"), duration(facts.uptime_seconds + (performance.now() - factsAt) / 1000));
  }

  // ---- live tail ----
  let source = null, paused = false, held = [], received = 0;

  function escapeRegex(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function watchTopic(topic) {
    $("tail-pattern").value = escapeRegex(topic) + "$";
    startTail();
  }

  function tailStatus() {
    if (!source) { text($("tail-status"), "Not watching."); return; }
    const pattern = $("tail-pattern").value || "(every topic)";
    text($("tail-status"), (paused ? "Paused" : "Watching") + " " + pattern + ": " + number(received)
      + " events" + (paused && held.length ? ", " + held.length + " held" : ""));
  }

  function show(e) {
    const li = document.createElement("li");
    const parts = [
      ["pos", String(e.position)],
      ["t", shortTime(e.receive_time)],
      ["tp", e.topic],
      ["pl", e.payload_text !== undefined ? e.payload_text : JSON.stringify(e.payload)],
    ];
    for (const [cls, value] of parts) {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = value;
      li.appendChild(span);
    }
    const tags = Object.entries(e.tags || {});
    if (tags.length) li.title = tags.map(([k, v]) => k + "=" + v).join(" ");
    const list = $("tail-list");
    list.insertBefore(li, list.firstChild);
    while (list.children.length > TAIL_MAX) list.lastChild.remove();
  }

  // Server-Sent Events read with fetch, which, unlike EventSource, can send the access token:
  // the same events, and the same reconnection with Last-Event-ID after a second.
  function tokenStream(path, on) {
    const abort = new AbortController();
    let closed = false, lastId = null;
    async function read(answer) {
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "", data = [], id = null, type = "message";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n")) >= 0) {
          let line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (line.endsWith("\r")) line = line.slice(0, -1);
          if (line === "") { // the end of one event
            if (id !== null) lastId = id;
            if (data.length) {
              try {
                on(type, data.join("\n"));
              } catch (e) {
                console.warn("tailbus console: an event could not be shown", e); // the stream goes on
              }
            }
            data = []; id = null; type = "message";
          } else if (!line.startsWith(":")) { // not a comment (a heartbeat)
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            let v = colon < 0 ? "" : line.slice(colon + 1);
            if (v.startsWith(" ")) v = v.slice(1);
            if (field === "data") data.push(v);
            else if (field === "id") id = v;
            else if (field === "event") type = v;
          }
        }
      }
    }
    (async () => {
      while (!closed) {
        try {
          const headers = Object.assign({ Accept: "text/event-stream" }, authHeaders());
          if (lastId !== null) headers["Last-Event-ID"] = lastId;
          const answer = await fetch(path, { cache: "no-store", headers: headers, signal: abort.signal });
          if (!answer.ok) {
            on("refused", JSON.stringify({ error: await why(answer), status: answer.status }));
            if (answer.status < 500) return; // a bad pattern or token: trying again would not help
          } else {
            on("open", null);
            await read(answer);
          }
        } catch (e) {
          if (closed) return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    return { close() { closed = true; abort.abort(); } };
  }

  function onTailEvent(type, data) {
    if (type === "open") { tailStatus(); return; }
    if (type === "error" || type === "refused") {
      if (data) text($("tail-status"), "The stream failed: " + JSON.parse(data).error);
      return;
    }
    const e = JSON.parse(data);
    received++;
    if (paused) {
      held.push(e);
      if (held.length > TAIL_MAX) held.shift();
    } else {
      show(e);
    }
    tailStatus();
  }

  function startTail() {
    if (source) source.close();
    paused = false; held = []; received = 0;
    $("tail-list").replaceChildren(); // a new pattern starts a new tail
    text($("tail-pause"), "Pause");
    const params = new URLSearchParams();
    const pattern = $("tail-pattern").value;
    if (pattern) params.append("pattern", pattern);
    const history = $("tail-history").value;
    if (history !== "" && Number(history) > 0) params.append("history", history);
    const path = "/api/events?" + params.toString();
    if (token) {
      source = tokenStream(path, onTailEvent);
    } else {
      source = new EventSource(path);
      source.onmessage = (m) => onTailEvent("message", m.data);
      source.addEventListener("error", (m) => onTailEvent("error", m.data));
      source.onopen = () => onTailEvent("open", null);
    }
    $("tail-pause").disabled = false;
    tailStatus();
  }

  function togglePause() {
    paused = !paused;
    text($("tail-pause"), paused ? "Resume" : "Pause");
    if (!paused) { for (const e of held) show(e); held = []; }
    tailStatus();
  }

  function clearTail() {
    $("tail-list").replaceChildren();
    held = [];
    tailStatus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("tail-form").addEventListener("submit", (ev) => { ev.preventDefault(); startTail(); });
    $("tail-pause").addEventListener("click", togglePause);
    $("tail-clear").addEventListener("click", clearTail);
    $("token").value = token;
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const given = $("token").value.trim();
      if (given && !/^[\x21-\x7e]+$/.test(given)) {
        // a header carries visible ASCII only: a pasted invisible character would fail every request
        const badge = $("connection");
        text(badge, "not a token");
        badge.title = "an access token is made of visible ASCII characters only";
        badge.classList.add("down");
        return;
      }
      token = given;
      if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
      refreshTopics();
      refreshFacts();
      if (source) startTail(); // the tail again, with the new token
    });
    refreshTopics();
    refreshFacts();
    setInterval(refreshTopics, TOPICS_EVERY_MS);
    setInterval(refreshFacts, FACTS_EVERY_MS);
    setInterval(tickUptime, 1000);
  });
})();
