// triloop's chat page: no build step. Streams a turn's events (fetch + SSE lines, so a bearer token
// can be sent) and shows each agent step as it happens, then the answer with its evidence and cost.
"use strict";
const $ = (id) => document.getElementById(id);
let threadId = null;
let busy = false;

function token() { return localStorage.getItem("triloop-token") || ""; }
function headers(json) {
  const h = json ? { "Content-Type": "application/json" } : {};
  if (token()) h.Authorization = "Bearer " + token();
  return h;
}
async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(!!options.body) });
  if (response.status === 401) {
    const t = prompt("This server needs its API token:");
    if (t) { localStorage.setItem("triloop-token", t); return api(path, options); }
  }
  return response;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderAnswer(container, text) {
  // fenced code blocks become <pre>; everything else stays text (never innerHTML of model output)
  container.textContent = "";
  text.split(/```(?:python|py)?\n?/).forEach((part, i) => {
    container.append(i % 2 ? el("pre", "", part.replace(/\n$/, "")) : document.createTextNode(part));
  });
}

function evidenceLine(result) {
  if (!result) return null;
  const box = el("div", "evidence");
  const u = result.usage || {};
  const labels = { easy: "settled easy", verified: "verified", unsure: "unsure" };
  const outcome = result.outcome || (result.verified ? "verified" : "unsure");
  const mark = el("span", outcome === "unsure" ? "fail" : "pass", labels[outcome] || outcome);
  box.append(mark, ` · stopped by ${result.stopped_by} · ${u.llm_calls || 0} calls · ` +
    `${(u.prompt_tokens || 0) + (u.completion_tokens || 0)} tokens · ${Number(result.wall_s || 0).toFixed(1)} s`);
  const checks = result.checks || [];
  if (checks.length) {
    const d = el("details"); d.append(el("summary", "", `${checks.filter((c) => c.passed).length}/${checks.length} checks passed`));
    checks.forEach((c) => d.append(el("div", c.passed === false ? "fail" : "pass", `${c.call} → ${c.got}` + (c.expected ? ` (expected ${c.expected})` : ""))));
    box.append(d);
  }
  if (result.run_id) {
    const a = el("a", "", " report"); a.href = `/runs/${encodeURIComponent(result.run_id)}/report`; a.target = "_blank";
    box.append(a);
  }
  return box;
}

function stepText(e) {
  switch (e.type) {
    case "route": return e.route === "work" ? "The agent team takes this one." : null;
    case "llm_call": return `${e.role || "agent"}: ${e.purpose || ""} (${(e.prompt_tokens || 0) + (e.completion_tokens || 0)} tokens)`;
    case "tests": return `Tester wrote ${(e.tests || []).length} tests`;
    case "score": return e.score == null ? null : `score ${e.candidate}: ${Number(e.score).toFixed(2)} (${e.status})`;
    case "decision": return `triage: ${e.decision}${e.stopped_by ? " → " + e.stopped_by : ""} ${e.reason || ""}`;
    case "feedback": return `Reviewer: ${e.why || ""} ${e.change || ""}`.slice(0, 400);
    case "trace": return `trace of ${e.call} for ${e.candidate}`;
    default: return null;
  }
}

function addMessage(role, text, result) {
  const box = el("div", "msg " + role);
  if (role === "user") box.textContent = text;
  else { const a = el("div", "answer"); renderAnswer(a, text); box.append(a); const ev = evidenceLine(result); if (ev) box.append(ev); }
  $("log").append(box); $("log").scrollTop = $("log").scrollHeight;
  return box;
}

function startAssistant() {
  const box = el("div", "msg assistant");
  const steps = el("details", "steps"); steps.open = true;
  steps.append(el("summary", "", "Agents at work"));
  const answer = el("div", "answer");
  box.append(steps, answer); $("log").append(box);
  return { box, steps, answer, text: "" };
}

function onEvent(view, e) {
  if (e.type === "thread") { threadId = e.thread_id; return; }
  if (e.type === "token") { view.text += e.text; view.answer.textContent = view.text; return; }
  if (e.type === "tool_call") {
    const d = el("details", "step tool");
    d.append(el("summary", "", `tool ${e.tool}: ${e.ok ? "ok" : "failed"}`), el("pre", "", String(e.args && e.args.code || JSON.stringify(e.args || {}))), el("pre", "", String(e.output || "")));
    view.steps.append(d); return;
  }
  if (e.type === "evidence" && e.answer && !view.text && !view.provisional) {
    // the first draft's answer, shown at once and marked as being checked; the team's answer replaces it
    view.provisional = true;
    view.answer.textContent = "";
    view.answer.append(document.createTextNode(e.answer), el("span", "checking", " · first draft, being checked…"));
  }
  if (e.type === "answer") {
    renderAnswer(view.answer, e.content || "");
    view.steps.open = false;
    view.steps.querySelector("summary").textContent = `Agent steps (${view.steps.children.length - 1})`;
    const ev = evidenceLine(e.result); if (ev) view.box.append(ev);
    return;
  }
  if (e.type === "pause") { $("pause-text").textContent = `Budget reached (${e.reason || "limit"}). Continue?`; $("pause").hidden = false; return; }
  if (e.type === "stopped") { view.answer.textContent = "(stopped)"; return; }
  if (e.type === "error") { view.answer.textContent = "Error: " + e.message; return; }
  const line = stepText(e);
  if (line) { view.steps.append(el("div", "step", line)); $("log").scrollTop = $("log").scrollHeight; }
}

async function streamTurn(path, body) {
  setBusy(true);
  const view = startAssistant();
  try {
    const response = await api(path, { method: "POST", body: JSON.stringify(body) });
    if (!response.ok) { const err = await response.json(); onEvent(view, { type: "error", message: err.error ? err.error.message : response.statusText }); return; }
    const reader = response.body.getReader(); const decoder = new TextDecoder(); let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const chunk = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        if (chunk.startsWith("data: ")) onEvent(view, JSON.parse(chunk.slice(6)));
      }
    }
  } catch (err) { onEvent(view, { type: "error", message: String(err) }); }
  finally { setBusy(false); loadThreads(); }
}

function setBusy(on) { busy = on; $("send").disabled = on; $("stop").disabled = !on; }

async function loadThreads() {
  const response = await api("/api/threads"); if (!response.ok) return;
  const { threads } = await response.json();
  const list = $("threads"); list.textContent = "";
  threads.forEach((t) => {
    const b = el("button", "", t.title || t.thread_id); b.type = "button";
    b.setAttribute("aria-current", String(t.thread_id === threadId));
    b.onclick = () => openThread(t.thread_id);
    const li = el("li"); li.append(b); list.append(li);
  });
}

async function openThread(id) {
  if (busy) return;
  const response = await api(`/api/threads/${encodeURIComponent(id)}`); if (!response.ok) return;
  const data = await response.json();
  threadId = id; $("log").textContent = "";
  data.messages.forEach((m) => addMessage(m.role, m.content, m.result));
  $("pause").hidden = !data.pause;
  loadThreads();
}

$("composer").onsubmit = (ev) => {
  ev.preventDefault();
  const text = $("message").value.trim(); if (!text || busy) return;
  $("message").value = ""; addMessage("user", text);
  const choice = $("strategy").value;
  const body = { text, thread_id: threadId };
  if (choice === "direct") body.mode = "direct"; else if (choice) body.strategy = choice;
  const budget = parseInt($("budget").value, 10);
  if (budget > 0) body.budget_tokens = budget;
  streamTurn("/api/chat", body);
};
$("message").onkeydown = (ev) => { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("composer").requestSubmit(); } };
$("stop").onclick = () => { if (threadId) api(`/api/threads/${encodeURIComponent(threadId)}/stop`, { method: "POST" }); };
$("new-chat").onclick = () => { if (!busy) { threadId = null; $("log").textContent = ""; $("pause").hidden = true; loadThreads(); } };
$("go-on").onclick = () => { $("pause").hidden = true; streamTurn(`/api/threads/${encodeURIComponent(threadId)}/pause`, { go_on: true }); };
$("halt").onclick = () => { $("pause").hidden = true; streamTurn(`/api/threads/${encodeURIComponent(threadId)}/pause`, { go_on: false }); };
loadThreads();
