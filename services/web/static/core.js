// Shared plumbing of the web UI: the API client, escaping, the page state and small helpers.
// Every value shown passes through esc(); every write carries an Idempotency-Key (one per
// rendered form, so a double click appends once) and, on a recommendation, If-Match with
// the version the page showed (so an action taken on a stale page is refused, not merged).
// The browser's session cookie authenticates every request (the script cannot read it);
// every write also carries the session's CSRF token, which another site's page cannot know.

import { formatNumber, language, t } from "./i18n.js";

const API = "/api/v1";
export const PAGE = 25;

export const state = { me: null, csrf: null, schemas: null, authorities: null, ticket: 0 };

// --- plumbing --------------------------------------------------------------------------

// A page renders only if no newer navigation began while it was loading its data.
export function current() {
  const ticket = state.ticket;
  return () => ticket === state.ticket;
}

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
// The domain's values (place types, kinds, positions, outcomes…) in the reader's language;
// the English is the value itself with spaces, so a value missing here still reads.
const VALUE_WORDS = () => ({
  prison: t("prison"), pre_trial_detention: t("pre-trial detention"),
  police_custody: t("police custody"), immigration_detention: t("immigration detention"),
  psychiatric_institution: t("psychiatric institution"), social_care_home: t("social care home"),
  juvenile_institution: t("juvenile institution"), military: t("military"), other: t("other"),
  regular: t("regular"), follow_up: t("follow-up"), ad_hoc: t("ad hoc"), thematic: t("thematic"),
  visit_report: t("visit report"), thematic_report: t("thematic report"),
  annual_report: t("annual report"), urgent_notice: t("urgent notice"),
  preliminary_observations: t("preliminary observations"), visit: t("visit"), urgent: t("urgent"),
  preliminary_observation: t("preliminary observation"), accepted: t("accepted"),
  partially_accepted: t("partially accepted"), rejected: t("rejected"), noted: t("noted"),
  implemented: t("implemented"), partially_implemented: t("partially implemented"),
  in_progress: t("in progress"), not_implemented: t("not implemented"), budget: t("budget"),
  not_understood: t("not understood"), resistance: t("resistance"),
  legal_obstacle: t("legal obstacle"), letter: t("letter"), meeting: t("meeting"),
  action_plan: t("action plan"), working_group: t("working group"), training: t("training"),
  complaint: t("complaint"), media: t("media"), parliament: t("parliament"),
  // follow-ups raised with an international body (domain/values.py FollowUpKind)
  spt: t("with the SPT"), cat: t("with the CAT"), cpt: t("with the CPT"),
  calendar: t("calendar"), working: t("working"), sending: t("sending"), receipt: t("receipt"),
  // the Double-SMART criteria of a review
  specific: t("specific"), measurable: t("measurable"), achievable: t("achievable"),
  results_oriented: t("results oriented"), time_bound: t("time bound"),
  solution_suggestive: t("solution suggestive"), mindful_of_prioritisation: t("mindful of prioritisation"),
  argued: t("argued"), root_cause_responsive: t("root cause responsive"), targeted: t("targeted"),
  // the kinds of task (domain/task.py TaskKind), as the inbox lists and filters them
  send_reminder: t("send a reminder"), send_escalation_letter: t("send an escalation letter"),
  verify_implementation: t("verify the implementation"), escalate_implementation: t("escalate the implementation"),
  deliver_letter: t("deliver a refused letter"),
  // the roles, as the header names the signed-in user's
  admin: t("admin"), caseworker: t("caseworker"), compliance: t("compliance"), auditor: t("auditor"),
  authority_liaison: t("authority liaison"), system: t("system"),
});
export const word = (value) => VALUE_WORDS()[value] || String(value ?? "").replace(/_/g, " ");
export const words = (value) => esc(word(value));
export const today = () => new Date().toISOString().slice(0, 10);
// Kept for modules written when the UI held a bearer token: "Bearer " with nothing after it
// counts as no token, so their requests go with the session cookie like every other.
export const token = () => "";
export const main = () => document.getElementById("main");
export const can = (ability) => Boolean(state.me && state.me.abilities.includes(ability));

export class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || t("The request failed (HTTP {status}).", { status }));
    this.status = status;
    this.body = body || {};
  }
}

// `file` (a File or Blob) is sent as the body itself, as an upload (evidence.js); the
// server judges its type by its bytes, so it is declared as octet-stream.
export async function api(method, path, { body, version, key, file } = {}) {
  // The server writes its sentences (history, task titles, errors) in this language
  // unless the profile chose one (services/api/language.py).
  const headers = { "Accept-Language": language() };
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (file !== undefined) headers["Content-Type"] = "application/octet-stream";
  if (version) headers["If-Match"] = `"${version}"`;
  if (key) headers["Idempotency-Key"] = key;
  const response = await fetch(API + path, {
    method, headers, body: file !== undefined ? file : body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (response.status === 401 && state.me) {
    signOut(t("Your session has ended (signed out, timed out or ended everywhere). Sign in again."));
  }
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

export function errorBox(error) {
  const problems = (error.body && error.body.problems) || [];
  const list = problems.length
    ? `<ul>${problems.map((p) => `<li><b>${esc(p.field)}</b>: ${esc(p.rule)}</li>`).join("")}</ul>`
    : "";
  return `<div class="error" role="alert">${esc(error.message)}${list}</div>`;
}

export function flash(message) {
  const box = document.getElementById("flash");
  box.textContent = message;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { box.textContent = ""; }, 6000);
}

// The values badges show, in the reader's language (each one a catalog entry).
const BADGE_WORDS = () => ({
  draft: t("draft"), issued: t("issued"), responded: t("responded"), assessed: t("assessed"),
  withdrawn: t("withdrawn"), closed: t("closed"), open: t("open"), claimed: t("claimed"),
  completed: t("completed"), cancelled: t("cancelled"), overdue: t("overdue"),
  historic: t("historic record"),
});

export function badge(value, extra = "") {
  const shown = BADGE_WORDS()[value];
  return value ? `<span class="badge ${esc(value)} ${extra}">${shown ? esc(shown) : words(value)}</span>` : "";
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v != null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// Pick-lists come from the OpenAPI document's enums, the domain's own vocabulary.
export async function schemas() {
  if (!state.schemas) {
    const doc = await (await fetch(`${API}/openapi.json`)).json();
    state.schemas = doc.components.schemas;
  }
  return state.schemas;
}
export const options = (name, selected = "", blank = "") => {
  const values = (state.schemas[name] && state.schemas[name].enum) || [];
  const first = blank !== null ? `<option value="">${esc(blank)}</option>` : "";
  return first + values.map((v) => (
    `<option value="${esc(v)}"${v === selected ? " selected" : ""}>${words(v)}</option>`)).join("");
};

export async function authorities() {
  if (!state.authorities && can("read_all")) {
    state.authorities = (await api("GET", "/authorities")).items;
  }
  return state.authorities || [];
}

export function signOut(message) {
  state.me = null;
  state.csrf = null;
  state.authorities = null;
  location.hash = "#/login";
  if (message) setTimeout(() => flash(message), 0);
}

export function pager(page, offset, link) {
  if (page.total <= page.limit && offset === 0) return "";
  const last = Math.min(offset + page.items.length, page.total);
  const prev = offset > 0 ? `<a href="${link(Math.max(0, offset - page.limit))}">${esc(t("← previous"))}</a>` : "";
  const next = offset + page.limit < page.total ? `<a href="${link(offset + page.limit)}">${esc(t("next →"))}</a>` : "";
  const shown = t("{first}–{last} of {total}",
    { first: formatNumber(offset + 1), last: formatNumber(last), total: formatNumber(page.total) });
  return `<div class="pager">${prev}<span class="muted">${esc(shown)}</span>${next}</div>`;
}

export async function submitting(form, work) {
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

// The router lives in app.js (which imports every page); a page re-renders through this.
let router = async () => {};
export function setRouter(fn) {
  router = fn;
}
export function route() {
  return router();
}
