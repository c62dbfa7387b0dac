// rectrack's web UI: a client of the public API (/api/v1) and nothing more.
// Every value shown passes through esc(); every write carries an Idempotency-Key (one per
// rendered form, so a double click appends once) and, on a recommendation, If-Match with
// the version the page showed (so an action taken on a stale page is refused, not merged).
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "rectrack.token";
const PAGE = 25;

const state = { me: null, schemas: null, authorities: null, ticket: 0 };

// --- plumbing --------------------------------------------------------------------------

// A page renders only if no newer navigation began while it was loading its data.
function current() {
  const ticket = state.ticket;
  return () => ticket === state.ticket;
}

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
const words = (value) => esc(String(value ?? "").replace(/_/g, " "));
const today = () => new Date().toISOString().slice(0, 10);
const token = () => sessionStorage.getItem(TOKEN_KEY);
const main = () => document.getElementById("main");
const can = (ability) => Boolean(state.me && state.me.abilities.includes(ability));

class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, { body, version, key } = {}) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (version) headers["If-Match"] = `"${version}"`;
  if (key) headers["Idempotency-Key"] = key;
  const response = await fetch(API + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (response.status === 401 && state.me) {
    signOut("Your session has ended (the token is unknown, revoked or disabled). Sign in again.");
  }
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

function errorBox(error) {
  const problems = (error.body && error.body.problems) || [];
  const list = problems.length
    ? `<ul>${problems.map((p) => `<li><b>${esc(p.field)}</b>: ${esc(p.rule)}</li>`).join("")}</ul>`
    : "";
  return `<div class="error" role="alert">${esc(error.message)}${list}</div>`;
}

function flash(message) {
  const box = document.getElementById("flash");
  box.textContent = message;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { box.textContent = ""; }, 6000);
}

function badge(value, extra = "") {
  return value ? `<span class="badge ${esc(value)} ${extra}">${words(value)}</span>` : "";
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v != null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// Pick-lists come from the OpenAPI document's enums, the domain's own vocabulary.
async function schemas() {
  if (!state.schemas) {
    const doc = await (await fetch(`${API}/openapi.json`)).json();
    state.schemas = doc.components.schemas;
  }
  return state.schemas;
}
const options = (name, selected = "", blank = "") => {
  const values = (state.schemas[name] && state.schemas[name].enum) || [];
  const first = blank !== null ? `<option value="">${esc(blank)}</option>` : "";
  return first + values.map((v) => (
    `<option value="${esc(v)}"${v === selected ? " selected" : ""}>${words(v)}</option>`)).join("");
};

async function authorities() {
  if (!state.authorities && can("read_all")) {
    state.authorities = (await api("GET", "/authorities")).items;
  }
  return state.authorities || [];
}

// --- sign-in ---------------------------------------------------------------------------

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  state.authorities = null;
  location.hash = "#/login";
  if (message) setTimeout(() => flash(message), 0);
}

function loginPage() {
  document.getElementById("nav").hidden = true;
  document.getElementById("who").textContent = "";
  main().innerHTML = `
    <h1>Sign in</h1>
    <form class="card login" id="login">
      <label>Access token
        <input name="token" type="password" autocomplete="off" required
               placeholder="rt_…  (printed by 'rectrack up', or 'rectrack users token NAME')">
      </label>
      <p><button type="submit">Sign in</button></p>
      <div id="login-error"></div>
    </form>`;
  document.getElementById("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, new FormData(event.target).get("token").trim());
    try {
      await loadMe();
      location.hash = "#/inbox";
    } catch (error) {
      sessionStorage.removeItem(TOKEN_KEY);
      document.getElementById("login-error").innerHTML = errorBox(error);
    }
  });
}

async function loadMe() {
  state.me = await api("GET", "/me");
  document.getElementById("nav").hidden = false;
  const who = document.getElementById("who");
  who.innerHTML = `${esc(state.me.display_name)} <span class="muted">(${
    state.me.roles.map(words).join(", ")})</span> <button class="secondary" id="signout">Sign out</button>`;
  document.getElementById("signout").addEventListener("click", () => signOut("Signed out."));
  for (const link of document.querySelectorAll("nav a[data-ability]")) {
    link.hidden = !can(link.dataset.ability);
  }
}

// --- inbox -----------------------------------------------------------------------------

async function inboxPage(params) {
  if (!can("read_all")) {
    location.hash = "#/recommendations";
    return;
  }
  const view = params.get("view") || "mine";
  const filter = { mine: { state: "open", mine: "true" }, unclaimed: { state: "unclaimed" },
    open: { state: "open" }, completed: { state: "completed" } }[view] || { state: "open" };
  const offset = Number(params.get("offset") || 0);
  const live = current();
  const page = await api("GET", `/tasks${query({ ...filter, limit: PAGE, offset })}`);
  if (!live()) return;
  const tabs = [["mine", "My tasks"], ["unclaimed", "Unclaimed"], ["open", "All open"], ["completed", "Completed"]]
    .map(([key, label]) => (key === view ? `<b>${label}</b>` : `<a href="#/inbox?view=${key}">${label}</a>`))
    .join(" · ");
  const rows = page.items.map((task) => `
    <tr data-task="${esc(task.task_id)}">
      <td>${esc(task.title)}<br><span class="muted">${words(task.kind)} · for ${words(task.role)}</span>
        <div>${task.recommendation_ids.map((id, i) => (
          `<a href="#/recommendations/${esc(id)}">recommendation ${i + 1}</a>`)).join(" · ")}</div></td>
      <td>${esc(task.due_on)} ${task.overdue ? badge("overdue") : ""}</td>
      <td>${badge(task.state)}${task.assignee ? `<br><span class="muted">${
        task.assignee === state.me.id ? "you" : esc(task.assignee.slice(0, 8))}</span>` : ""}
        ${task.outcome ? `<br>${esc(task.outcome)}` : ""}</td>
      <td>${taskActions(task)}</td>
    </tr>`).join("");
  main().innerHTML = `
    <h1>Inbox</h1>
    <p>${tabs}</p>
    ${page.items.length ? `<table><thead><tr><th>Task</th><th>Due</th><th>State</th><th></th></tr></thead>
      <tbody>${rows}</tbody></table>` : `<p class="muted">No tasks here.</p>`}
    ${pager(page, offset, (o) => `#/inbox?view=${view}&offset=${o}`)}`;
  for (const form of main().querySelectorAll("form[data-task-action]")) {
    form.addEventListener("submit", (event) => submitTask(event, form));
  }
}

function taskActions(task) {
  if (!can("work_tasks") || !["open", "claimed"].includes(task.state)) return "";
  const key = crypto.randomUUID();
  if (task.state === "open") {
    return `<form data-task-action="claim" data-key="${key}" data-version="${esc(task.version)}">
      <button type="submit">Claim</button><div class="problem"></div></form>`;
  }
  if (task.assignee !== state.me.id) return `<span class="muted">claimed by someone else</span>`;
  return `<form data-task-action="complete" data-key="${key}" data-version="${esc(task.version)}">
      <label>Outcome <input name="outcome" required maxlength="200" placeholder="e.g. letter sent"></label>
      <label>Note <input name="note" maxlength="2000"></label>
      <button type="submit">Complete</button><div class="problem"></div></form>`;
}

async function submitTask(event, form) {
  event.preventDefault();
  const row = form.closest("tr");
  const action = form.dataset.taskAction;
  const data = new FormData(form);
  const body = action === "complete"
    ? { outcome: data.get("outcome"), note: data.get("note") || null } : {};
  await submitting(form, async () => {
    await api("POST", `/tasks/${row.dataset.task}/${action}?wait=true`,
      { body, key: form.dataset.key, version: form.dataset.version });
    flash(action === "claim" ? "Task claimed: it is in your tasks now." : "Task completed.");
    await route();
  });
}

function pager(page, offset, link) {
  if (page.total <= page.limit && offset === 0) return "";
  const last = Math.min(offset + page.items.length, page.total);
  const prev = offset > 0 ? `<a href="${link(Math.max(0, offset - page.limit))}">← previous</a>` : "";
  const next = offset + page.limit < page.total ? `<a href="${link(offset + page.limit)}">next →</a>` : "";
  return `<div class="pager">${prev}<span class="muted">${offset + 1}–${last} of ${page.total}</span>${next}</div>`;
}

async function submitting(form, work) {
  const button = form.querySelector("button[type=submit]");
  const problem = form.querySelector(".problem");
  button.disabled = true;
  problem.innerHTML = "";
  try {
    await work();
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    problem.innerHTML = errorBox(error);
  } finally {
    button.disabled = false;
  }
}

// --- recommendations -------------------------------------------------------------------

async function listPage(params) {
  const live = current();
  await schemas();
  const all = await authorities();
  const f = Object.fromEntries(["status", "authority_id", "overdue", "year", "theme", "q"]
    .map((k) => [k, params.get(k) || ""]));
  const offset = Number(params.get("offset") || 0);
  const page = await api("GET", `/recommendations${query({ ...f, limit: PAGE, offset })}`);
  if (!live()) return;
  const rows = page.items.map((r) => `
    <tr>
      <td><a href="#/recommendations/${esc(r.recommendation_id)}">${esc(r.text)}</a>
        <br><span class="muted">${words(r.kind)}${r.place_name ? ` · ${esc(r.place_name)}` : ""}${
          r.themes && r.themes.length ? ` · ${r.themes.map(esc).join(", ")}` : ""}</span></td>
      <td>${esc(r.authority_name)}</td>
      <td>${badge(r.status)} ${r.escalation_level ? `<span class="badge">escalated ${esc(r.escalation_level)}</span>` : ""}</td>
      <td class="nowrap">${esc(r.reply_due || "")} ${r.overdue ? `${badge("overdue")}<br><span class="muted">${esc(r.days_overdue)} days</span>` : ""}</td>
      <td class="nowrap">${esc(r.made_on || "")}</td>
    </tr>`).join("");
  const authorityPicker = all.length ? `<label>Authority <select name="authority_id"><option value="">any</option>${
    all.map((a) => `<option value="${esc(a.authority_id)}"${a.authority_id === f.authority_id ? " selected" : ""}>${
      esc(a.name)}</option>`).join("")}</select></label>` : "";
  main().innerHTML = `
    <h1>${f.overdue === "true" ? "Overdue for a reply" : "Recommendations"}</h1>
    <form class="filters" id="filters">
      <label>Status <select name="status">${options("Status", f.status, "any")}</select></label>
      ${authorityPicker}
      <label>Theme <input name="theme" value="${esc(f.theme)}" size="12"></label>
      <label>Year <input name="year" type="number" min="1900" max="2200" value="${esc(f.year)}" class="narrow"></label>
      <label>Text <input name="q" type="search" value="${esc(f.q)}" placeholder="words in the text"></label>
      <label class="check"><input type="checkbox" name="overdue" value="true"${f.overdue === "true" ? " checked" : ""}> overdue only</label>
      <button type="submit">Filter</button>
    </form>
    ${page.items.length ? `<table><thead><tr><th>Recommendation</th><th>Authority</th><th>Status</th>
      <th>Reply due</th><th>Made</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p class="muted">No recommendation matches.</p>`}
    ${pager(page, offset, (o) => `#/recommendations${query({ ...f, offset: o })}`)}`;
  document.getElementById("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target).entries());
    location.hash = `#/recommendations${query(data)}`;
  });
}

// One form per action the domain allows from the current status (allowed_actions), shown
// only to a user whose roles hold the ability the endpoint requires.
const ACTIONS = {
  record_review: { path: "reviews", ability: "draft", title: "Record the Double-SMART review",
    fields: [["criteria", "", "criteria"], ["reason", "Notes", "textarea"]] },
  issue: { path: "issue", ability: "draft", title: "Issue", fields: [["issued_on", "Issued on", "date", true, "today"]] },
  record_response: { path: "responses", ability: "respond", title: "Record the authority's response", fields: [
    ["received_on", "Received on", "date", true, "today"], ["position", "Position", "enum:Position", true],
    ["text", "What the authority said", "textarea", true], ["agreed_implementation_date", "Agreed implementation date", "date"]] },
  extend_reply_deadline: { path: "deadline-extensions", ability: "extend", title: "Extend the reply deadline", fields: [
    ["new_due", "New due date", "date", true], ["reason", "Why", "textarea"]] },
  record_follow_up: { path: "follow-ups", ability: "draft", title: "Record a follow-up", fields: [
    ["kind", "Kind", "enum:FollowUpKind", true], ["summary", "Summary", "textarea", true], ["happened_on", "On", "date", false, "today"]] },
  assess_implementation: { path: "assessments", ability: "draft", title: "Assess implementation", fields: [
    ["status", "Implementation", "enum:ImplementationStatus", true],
    ["non_implementation_reason", "If not implemented, why", "enum:NonImplementationReason"],
    ["verified", "Verified by the NPM", "checkbox"], ["verification_method", "How it was verified", "text"],
    ["assessed_on", "Assessed on", "date", false, "today"]] },
  verify_implementation: { path: "verifications", ability: "draft", title: "Record a verification", fields: [
    ["method", "How it was verified", "text", true], ["verified_on", "Verified on", "date", false, "today"]] },
  withdraw: { path: "withdrawal", ability: "end", title: "Withdraw", fields: [["reason", "Why (required)", "textarea", true]] },
  close: { path: "closure", ability: "end", title: "Close", fields: [["reason", "Why", "textarea"]] },
};

// The Double-SMART checklist: the criteria's names come from the OpenAPI document.
function criteriaNames() {
  const criteria = state.schemas.RecordReview.properties.criteria;
  return (criteria.propertyNames && criteria.propertyNames.enum) || [];
}

function field([name, label, kind, required, initial]) {
  const req = required ? " required" : "";
  if (kind === "criteria") {
    return `<fieldset><legend class="muted">Tick each criterion the wording meets</legend>${
      criteriaNames().map((c) => `<label class="check"><input type="checkbox" name="criterion" value="${esc(c)}"> ${words(c)}</label>`).join("")}</fieldset>`;
  }
  const value = initial === "today" ? today() : "";
  if (kind === "textarea") return `<label>${esc(label)}<textarea name="${name}"${req}></textarea></label>`;
  if (kind === "checkbox") return `<label class="check"><input type="checkbox" name="${name}" value="true"> ${esc(label)}</label>`;
  if (kind.startsWith("enum:")) {
    return `<label>${esc(label)}<select name="${name}"${req}>${options(kind.slice(5), "", required ? "choose…" : "—")}</select></label>`;
  }
  return `<label>${esc(label)}<input name="${name}" type="${kind}" value="${value}"${req}></label>`;
}

function actionForms(rec) {
  const shown = rec.allowed_actions.filter((a) => ACTIONS[a] && can(ACTIONS[a].ability));
  if (!shown.length) return "";
  return `<h2>Actions</h2><div class="actions">${shown.map((name) => `
    <form class="card" data-action="${name}" data-key="${crypto.randomUUID()}">
      <h3>${esc(ACTIONS[name].title)}</h3>
      ${ACTIONS[name].fields.map(field).join("")}
      <div><button type="submit">${esc(ACTIONS[name].title)}</button></div>
      <div class="problem"></div>
    </form>`).join("")}</div>`;
}

function formBody(form, spec) {
  const data = new FormData(form);
  const body = {};
  for (const [name, , kind] of spec.fields) {
    if (kind === "criteria") {
      const met = new Set(data.getAll("criterion"));
      body.criteria = Object.fromEntries(criteriaNames().map((c) => [c, met.has(c)]));
    } else if (kind === "checkbox") body[name] = data.get(name) === "true";
    else if (data.get(name)) body[name] = data.get(name);
  }
  return body;
}

async function detailPage(params, id) {
  const live = current();
  await schemas();
  const asOf = params.get("as_of") || "";
  const [rec, timeline, tasks] = await Promise.all([
    api("GET", `/recommendations/${id}${query({ as_of: asOf })}`),
    api("GET", `/recommendations/${id}/timeline`),
    can("read_all")
      ? api("GET", `/tasks${query({ state: "open", recommendation_id: id, limit: 100 })}`)
      : { items: [] },
  ]);
  const authority = (await authorities()).find((a) => a.authority_id === rec.authority_id);
  if (!live()) return;
  const openTasks = tasks.items;
  const facts = [
    ["Status", `${badge(rec.status)} ${rec.overdue ? badge("overdue") : ""}`],
    ["Kind", words(rec.kind)],
    ["Authority", esc(authority ? authority.name : rec.authority_id)],
    ["Place", rec.place_id ? `<a href="#/places/${esc(rec.place_id)}">place history</a>` : "—"],
    ["Drafted / issued", `${esc(rec.drafted_on)} / ${esc(rec.issued_on || "not yet")}`],
    ["Reply due", esc(rec.reply_due || "—")],
    ["Deadline missed on", esc(rec.reply_deadline_missed_on || "—")],
    ["Escalation level", esc(rec.escalation_level)],
    ["Position", words(rec.position || "—")],
    ["Agreed implementation", esc(rec.agreed_implementation_date || "—")],
    ["Implementation", `${words(rec.implementation || "—")}${rec.non_implementation_reason ? ` (${words(rec.non_implementation_reason)})` : ""}`],
    ["Verified", rec.verified ? `yes, ${esc(rec.verified_on || "")} ${esc(rec.verification_method || "")}` : "no"],
    ["Double-SMART review", rec.review ? `${esc(rec.review.met)} of ${esc(Object.keys(rec.review.criteria).length)} criteria met (${esc(rec.review.reviewed_on)})` : "not reviewed"],
    ["Themes", esc((rec.tags.themes || []).join(", ") || "—")],
    ["Repeats", rec.repeats_id ? `<a href="#/recommendations/${esc(rec.repeats_id)}">an earlier recommendation</a>` : "—"],
  ];
  main().innerHTML = `
    <p><a href="#/recommendations">← all recommendations</a></p>
    <h1>${esc(rec.text)}</h1>
    <form class="row" id="as-of">
      <label>State as of the end of <input type="date" name="as_of" value="${esc(asOf)}" max="${today()}"></label>
      <button type="submit" class="secondary">Show</button>
      ${asOf ? `<a href="#/recommendations/${esc(id)}">back to now</a> <b>Showing the state as recorded on ${esc(asOf)}</b>` : ""}
    </form>
    <div class="card"><dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl></div>
    ${rec.responses.length ? `<h2>Responses</h2>${rec.responses.map((r) => `<div class="card">
      <b>${words(r.position)}</b> <span class="muted">received ${esc(r.received_on)}</span><p>${esc(r.text)}</p></div>`).join("")}` : ""}
    ${rec.follow_ups.length ? `<h2>Follow-up</h2><table><tbody>${rec.follow_ups.map((f) => `
      <tr><td>${esc(f.on)}</td><td>${words(f.kind)}</td><td>${esc(f.summary)}</td></tr>`).join("")}</tbody></table>` : ""}
    ${openTasks.length ? `<h2>Open tasks</h2><ul>${openTasks.map((t) => `<li>${esc(t.title)} — due ${esc(t.due_on)}
      <a href="#/inbox?view=open">inbox</a></li>`).join("")}</ul>` : ""}
    ${asOf ? "" : actionForms(rec)}
    <h2>History</h2>
    <ol class="timeline">${timeline.entries.map(timelineEntry).join("")}</ol>`;
  document.getElementById("as-of").addEventListener("submit", (event) => {
    event.preventDefault();
    const day = new FormData(event.target).get("as_of");
    location.hash = `#/recommendations/${id}${query({ as_of: day })}`;
  });
  for (const form of main().querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const spec = ACTIONS[form.dataset.action];
      await submitting(form, async () => {
        await api("POST", `/recommendations/${id}/${spec.path}?wait=true`,
          { body: formBody(form, spec), key: form.dataset.key, version: rec.version });
        flash(`${spec.title}: recorded.`);
        await route();
      });
    });
  }
}

function timelineEntry(entry) {
  const changes = (entry.changes || []).map((c) => `<div class="change">${words(c.field)}: ${
    esc(JSON.stringify(c.before))} → ${esc(JSON.stringify(c.after))}</div>`).join("");
  return `<li><b>${esc(entry.label || entry.event)}</b>
    <span class="muted">· business date ${esc(entry.business_date || "—")} · recorded ${
      esc(String(entry.recorded_at).replace("T", " ").slice(0, 19))} · by ${esc(entry.actor_role || "")} ${
      esc((entry.actor_id || "").slice(0, 12))}</span>
    ${entry.reason ? `<div>Why: ${esc(entry.reason)}</div>` : ""}${changes}</li>`;
}

// --- drafting ----------------------------------------------------------------------------

async function draftPage() {
  if (!can("draft")) {
    main().innerHTML = `<p class="muted">Your roles do not include drafting recommendations.</p>`;
    return;
  }
  const live = current();
  await schemas();
  const [all, places, reports] = await Promise.all([
    authorities(), api("GET", "/places"), api("GET", "/reports")]);
  if (!live()) return;
  main().innerHTML = `
    <h1>Draft a recommendation</h1>
    <form class="card" id="draft" data-key="${crypto.randomUUID()}">
      <label>Kind <select name="kind" required>${options("RecommendationKind", "visit", null)}</select></label>
      <label>Recommendation <textarea name="text" required></textarea></label>
      <label>Addressed to <select name="authority_id" required><option value="">choose…</option>${
        all.map((a) => `<option value="${esc(a.authority_id)}">${esc(a.name)}</option>`).join("")}</select></label>
      <label>Place <select name="place_id"><option value="">—</option>${
        places.items.map((p) => `<option value="${esc(p.place_id)}">${esc(p.name)} (${words(p.place_type)})</option>`).join("")}</select></label>
      <label>In the report (its reply obligation covers it) <select name="report_id"><option value="">—</option>${
        reports.items.map((r) => `<option value="${esc(r.report_id)}">${esc(r.title)}</option>`).join("")}</select></label>
      <label>Themes (separated by commas) <input name="themes"></label>
      <label>Issue it on (leave empty to keep it as a draft for review) <input type="date" name="issued_on"></label>
      <div><button type="submit">Save</button></div>
      <div class="problem"></div>
    </form>`;
  const form = document.getElementById("draft");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { kind: data.get("kind"), text: data.get("text"), authority_id: data.get("authority_id") };
    if (data.get("place_id")) body.place_id = data.get("place_id");
    if (data.get("report_id")) body.report_id = data.get("report_id");
    if (data.get("issued_on")) body.issued_on = data.get("issued_on");
    const themes = String(data.get("themes") || "").split(",").map((t) => t.trim()).filter(Boolean);
    if (themes.length) body.tags = { themes };
    await submitting(form, async () => {
      const made = await api("POST", "/recommendations?wait=true", { body, key: form.dataset.key });
      state.authorities = null; // its count of recommendations changed
      flash(body.issued_on ? "Recommendation issued." : "Draft saved.");
      location.hash = `#/recommendations/${made.id}`;
    });
  });
}

// --- registry: authorities, places, reports and their sending ------------------------------

const LADDER_ROWS = 3;

async function registryPage() {
  if (!can("register")) {
    main().innerHTML = `<p class="muted">Your roles do not include registering authorities, places or reports.</p>`;
    return;
  }
  const live = current();
  await schemas();
  state.authorities = null;
  const [all, places] = await Promise.all([authorities(), api("GET", "/places")]);
  if (!live()) return;
  const pick = `<option value="">choose…</option>${
    all.map((a) => `<option value="${esc(a.authority_id)}">${esc(a.name)}</option>`).join("")}`;
  const ladder = Array.from({ length: LADDER_ROWS }, (_, i) => `
    <div class="row">
      <label>Level ${i + 1}: action <input name="action${i}" placeholder="${i ? "" : "reminder letter"}"></label>
      <label>to <input name="addressee${i}" placeholder="${i ? "" : "head of institution"}"></label>
      <label>wait (days) <input name="wait${i}" type="number" min="1" max="3650" class="narrow"></label>
    </div>`).join("");
  main().innerHTML = `
    <h1>Registry</h1>
    <div class="actions">
      <form class="card" id="report" data-key="${crypto.randomUUID()}" data-send-key="${crypto.randomUUID()}">
        <h3>Register a report (and send it)</h3>
        <label>Kind <select name="kind" required>${options("ReportKind", "visit_report", null)}</select></label>
        <label>Title <input name="title" required maxlength="500"></label>
        <label>Report date <input name="report_date" type="date" value="${today()}" required></label>
        <label>Link <input name="link" type="url" maxlength="2000"></label>
        <label>Sent to <select name="authority_id">${pick.replace("choose…", "not sent yet")}</select></label>
        <label>Sent on (the statutory reply period runs from here) <input name="sent_on" type="date" value="${today()}"></label>
        <div><button type="submit">Register</button></div>
        <div class="problem"></div>
      </form>
      <form class="card" id="place" data-key="${crypto.randomUUID()}">
        <h3>Register a place of detention</h3>
        <label>Name <input name="name" required maxlength="500"></label>
        <label>Type <select name="place_type" required>${options("PlaceType", "", "choose…")}</select></label>
        <label>Region <input name="region" maxlength="500"></label>
        <label>Responsible authority <select name="authority_id" required>${pick}</select></label>
        <div><button type="submit">Register</button></div>
        <div class="problem"></div>
      </form>
      <form class="card" id="authority" data-key="${crypto.randomUUID()}">
        <h3>Register an authority</h3>
        <label>Name <input name="name" required maxlength="500"></label>
        <label>Kind <input name="kind" required placeholder="ministry, agency, institution…"></label>
        <label>Jurisdiction (country code) <input name="jurisdiction" required pattern="[A-Z]{2}" maxlength="2" class="narrow"></label>
        <label>Reply period (days) <input name="reply_period_days" type="number" min="1" max="3650" required class="narrow"></label>
        <label>Counted in <select name="day_kind">${options("DayKind", "calendar", null)}</select></label>
        <label>Urgent reply period (days) <input name="urgent_reply_period_days" type="number" min="1" max="3650" required class="narrow"></label>
        <p class="muted">Escalation ladder, when a reply is missed:</p>
        ${ladder}
        <div><button type="submit">Register</button></div>
        <div class="problem"></div>
      </form>
    </div>
    <h2>Authorities</h2>
    <table><tbody>${all.map((a) => `<tr><td>${esc(a.name)}</td><td class="num">${esc(a.recommendations)} recommendations</td></tr>`).join("")}</tbody></table>
    <h2>Places</h2>
    <table><tbody>${places.items.map((p) => `<tr><td><a href="#/places/${esc(p.place_id)}">${esc(p.name)}</a></td>
      <td>${words(p.place_type)}</td><td>${esc(p.authority_name || "")}</td></tr>`).join("")}</tbody></table>`;

  const value = (data, name) => String(data.get(name) || "").trim();
  document.getElementById("authority").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    const levels = [];
    for (let i = 0; i < LADDER_ROWS; i += 1) {
      if (value(data, `action${i}`) || value(data, `addressee${i}`) || value(data, `wait${i}`)) {
        levels.push({ action: value(data, `action${i}`), addressee: value(data, `addressee${i}`),
          wait_days: Number(value(data, `wait${i}`) || 0) });
      }
    }
    const body = { name: value(data, "name"), kind: value(data, "kind"), jurisdiction: value(data, "jurisdiction"),
      reply_period_days: Number(value(data, "reply_period_days")), day_kind: value(data, "day_kind"),
      urgent_reply_period_days: Number(value(data, "urgent_reply_period_days")), escalation_ladder: levels };
    await submitting(form, async () => {
      await api("POST", "/authorities?wait=true", { body, key: form.dataset.key });
      flash(`Authority registered: ${body.name}.`);
      await route();
    });
  });
  document.getElementById("place").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    const body = { name: value(data, "name"), place_type: value(data, "place_type"),
      authority_id: value(data, "authority_id") };
    if (value(data, "region")) body.region = value(data, "region");
    await submitting(form, async () => {
      await api("POST", "/places?wait=true", { body, key: form.dataset.key });
      flash(`Place registered: ${body.name}.`);
      await route();
    });
  });
  document.getElementById("report").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    const body = { kind: value(data, "kind"), title: value(data, "title"), report_date: value(data, "report_date") };
    if (value(data, "link")) body.link = value(data, "link");
    await submitting(form, async () => {
      // Two commands, each idempotent by its own key: a retry after a failed sending
      // registers nothing twice and sends what was not sent.
      const report = await api("POST", "/reports", { body, key: form.dataset.key });
      if (value(data, "authority_id")) {
        await api("POST", `/reports/${report.id}/sending?wait=true`, {
          body: { authority_id: value(data, "authority_id"), sent_on: value(data, "sent_on") },
          key: form.dataset.sendKey,
        });
        flash(`Report registered and sent: its reply deadline is running.`);
      } else {
        flash("Report registered.");
      }
      await route();
    });
  });
}

// --- places and statistics -------------------------------------------------------------

async function placePage(params, id) {
  const live = current();
  const place = await api("GET", `/places/${id}/history`);
  if (!live()) return;
  main().innerHTML = `
    <h1>${esc(place.name)} <span class="muted">${words(place.place_type)}</span></h1>
    <p>${Object.entries(place.outcomes).map(([k, n]) => `${badge(k)} ${esc(n)}`).join(" ")}</p>
    <h2>Visits</h2>
    ${place.visits.length ? `<table><tbody>${place.visits.map((v) => `<tr><td>${esc(v.start_date)} – ${
      esc(v.end_date)}</td><td>${words(v.kind)}</td></tr>`).join("")}</tbody></table>` : `<p class="muted">None recorded.</p>`}
    <h2>Recommendations</h2>
    <table><tbody>${place.recommendations.map((r) => `<tr><td>${esc(r.made_on || "")}</td>
      <td><a href="#/recommendations/${esc(r.recommendation_id)}">${esc(r.text || r.recommendation_id)}</a></td>
      <td>${badge(r.status)} ${words(r.implementation || "")}</td></tr>`).join("")}</tbody></table>`;
}

async function statsPage(params) {
  const year = params.get("year") || "";
  const live = current();
  const [scorecard, themes] = await Promise.all([
    api("GET", `/stats/authorities${query({ year })}`),
    api("GET", `/stats/themes${query({ year, dimension: "theme" })}`),
  ]);
  if (!live()) return;
  const pct = (v) => (v == null ? "—" : `${esc(v)} %`);
  const byTheme = {};
  // Each recommendation is counted once per year and once per quarter: read the years.
  for (const c of themes.counts.filter((row) => !String(row.period).includes("-Q"))) {
    byTheme[c.value] = (byTheme[c.value] || 0) + Number(c.n);
  }
  const topThemes = Object.entries(byTheme).sort((a, b) => b[1] - a[1]).slice(0, 15);
  main().innerHTML = `
    <h1>Statistics</h1>
    <form class="filters" id="year"><label>Year <input type="number" name="year" min="1900" max="2200"
      value="${esc(year)}" class="narrow"></label><button type="submit">Show</button></form>
    <h2>Authorities</h2>
    <table><thead><tr><th>Authority</th><th class="num">Year</th><th class="num">Issued</th><th class="num">Replied</th>
      <th class="num">On time</th><th class="num">Median days to reply</th><th class="num">Accepted</th>
      <th class="num">Implemented &amp; verified</th><th class="num">Overdue now</th></tr></thead>
    <tbody>${scorecard.items.map((r) => `<tr><td>${esc(r.authority_name)}</td><td class="num">${esc(r.year)}</td>
      <td class="num">${esc(r.issued)}</td><td class="num">${esc(r.replied)}</td><td class="num">${pct(r.replied_on_time_pct)}</td>
      <td class="num">${esc(r.median_days_to_reply ?? "—")}</td><td class="num">${pct(r.accepted_pct)}</td>
      <td class="num">${pct(r.implemented_verified_pct)}</td><td class="num">${esc(r.overdue_now)}</td></tr>`).join("")}</tbody></table>
    <h2>Themes</h2>
    <table><tbody>${topThemes.map(([theme, n]) => `<tr><td><a href="#/recommendations${query({ theme })}">${
      esc(theme)}</a></td><td class="num">${esc(n)}</td></tr>`).join("")}</tbody></table>`;
  document.getElementById("year").addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/stats${query({ year: new FormData(event.target).get("year") })}`;
  });
}

// --- routing ---------------------------------------------------------------------------

const ROUTES = [
  [/^\/inbox$/, inboxPage, "inbox"],
  [/^\/recommendations$/, listPage, "recommendations"],
  [/^\/recommendations\/([0-9a-f-]{36})$/, detailPage, "recommendations"],
  [/^\/places\/([0-9a-f-]{36})$/, placePage, "recommendations"],
  [/^\/stats$/, statsPage, "stats"],
  [/^\/draft$/, draftPage, "draft"],
  [/^\/registry$/, registryPage, "registry"],
];

async function route() {
  state.ticket += 1;
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  if (path === "/login" || !token()) {
    loginPage();
    return;
  }
  try {
    if (!state.me) await loadMe();
    const params = new URLSearchParams(search || "");
    const found = ROUTES.find(([pattern]) => pattern.test(path));
    if (!found) {
      location.hash = "#/inbox";
      return;
    }
    const [pattern, page, nav] = found;
    const current = nav === "recommendations" && params.get("overdue") === "true" ? "overdue" : nav;
    for (const link of document.querySelectorAll("nav a")) {
      link.classList.toggle("active", link.dataset.nav === current);
    }
    await page(params, ...path.match(pattern).slice(1));
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    if (error.status !== 401) main().innerHTML = errorBox(error);
  }
}

// 'rectrack up' prints a link with the token in the fragment (never sent to the server):
// take it, keep it for this tab only, and drop it from the address bar and history.
function takeTokenFromLink() {
  const match = location.hash.match(/^#token=([A-Za-z0-9_\-.]+)$/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, "", `${location.pathname}#/inbox`);
  }
}

window.addEventListener("hashchange", route);
takeTokenFromLink();
route();
