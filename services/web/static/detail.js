// A recommendation's page: its facts, responses, open tasks, action forms and history.
import { api, authorities, badge, can, current, esc, flash, main, query, route, schemas, submitting, today, words } from "./core.js";
import { ACTIONS, actionForms, formBody } from "./forms.js";
import { originSection } from "./origin.js";
import { showLetters } from "./letters.js";

export async function detailPage(params, id) {
  const live = current();
  await schemas();
  const asOf = params.get("as_of") || "";
  // By business date (what had happened by then) unless asked for what had been recorded.
  const basis = params.get("basis") === "recorded" ? "recorded" : "business";
  const internal = can("read_all");
  const [rec, timeline, tasks, history] = await Promise.all([
    api("GET", `/recommendations/${id}${query({ as_of: asOf, basis: asOf ? basis : "" })}`)
      // On a date before it existed (on that basis) the page says so; see below.
      .catch((error) => { if (asOf && error.status === 404) return null; throw error; }),
    api("GET", `/recommendations/${id}/timeline`),
    can("read_all")
      ? api("GET", `/tasks${query({ state: "open", recommendation_id: id, limit: 100 })}`)
      : { items: [] },
    // Each entry's one line for people (services/application/summaries.py); a liaison's
    // history has no lines (they name staff and reasons) and shows the timeline instead.
    internal && !asOf ? api("GET", `/recommendations/${id}/history`) : null,
  ]);
  if (rec === null) {
    if (!live()) return;
    main().innerHTML = notYetPage(id, asOf, basis);
    return;
  }
  const [authorityList, place, report] = await Promise.all([
    authorities(),
    rec.place_id ? api("GET", `/places/${rec.place_id}/history`).catch(() => null) : null,
    rec.report_id
      ? api("GET", "/reports").then((all) => all.items.find((r) => r.report_id === rec.report_id)).catch(() => null)
      : null,
  ]);
  const authority = authorityList.find((a) => a.authority_id === rec.authority_id);
  const visit = place && rec.visit_id ? place.visits.find((v) => v.visit_id === rec.visit_id) : null;
  if (!live()) return;
  const openTasks = tasks.items;
  const facts = [
    ["Status", `${badge(rec.status)} ${rec.overdue ? badge("overdue") : ""}${rec.historic ? badge("historic") : ""}`],
    ["Kind", words(rec.kind)],
    ["Authority", esc(authority ? authority.name : can("read_all") ? rec.authority_id : "your authority")],
    ["Reference", rec.reference ? `<b>${esc(rec.reference)}</b>${rec.external_id ? ` <span class="muted">(source id ${esc(rec.external_id)})</span>` : ""}` : `<span class="muted">none (recorded before references were given)</span>`],
    ["Place", placeLink(rec, place)],
    ["Visit", visitLink(rec, place, visit), "visit_id"],
    ["Report", reportLink(rec, report)],
    ["Drafted / issued", `${esc(rec.drafted_on)} / ${esc(rec.issued_on || "not yet")}`, "drafted_on"],
    ["Issued", esc(rec.issued_on || "not yet"), "!drafted_on"],
    ["Reply due", esc(rec.reply_due || "—")],
    ["Deadline missed on", esc(rec.reply_deadline_missed_on || "—"), "reply_deadline_missed_on"],
    ["Escalation level", esc(rec.escalation_level), "escalation_level"],
    ["Position", words(rec.position || "—")],
    ["Agreed implementation", esc(rec.agreed_implementation_date || "—")],
    ["Implementation", `${words(rec.implementation || "—")}${rec.non_implementation_reason ? ` (${words(rec.non_implementation_reason)})` : ""}`],
    ["Verified", rec.verified ? `yes, ${esc(rec.verified_on || "")} ${esc(rec.verification_method || "")}` : "no"],
    ["Double-SMART review", rec.review ? `${esc(rec.review.met)} of ${esc(Object.keys(rec.review.criteria).length)} criteria met (${esc(rec.review.reviewed_on)})` : "not reviewed", "review"],
    ["Themes", esc(((rec.tags || {}).themes || []).join(", ") || "—"), "tags"],
    ["Repeats", rec.repeats_id ? `<a href="#/recommendations/${esc(rec.repeats_id)}">an earlier recommendation</a>` : "—", "repeats_id"],
  ].filter(([, , field]) => shown(rec, field));
  main().innerHTML = `
    <p><a href="#/recommendations">← all recommendations</a></p>
    <h1>${rec.reference ? `<span class="reference">${esc(rec.reference)}</span> ` : ""}${esc(rec.text)}</h1>
    <form class="row" id="as-of">
      <label>State as of the end of <input type="date" name="as_of" value="${esc(asOf)}" max="${today()}"></label>
      <label>counting <select name="basis">
        <option value="business"${basis === "business" ? " selected" : ""}>what had happened by then (business date)</option>
        <option value="recorded"${basis === "recorded" ? " selected" : ""}>what had been recorded by then</option>
      </select></label>
      <button type="submit" class="secondary">Show</button>
      ${asOf ? `<a href="#/recommendations/${esc(id)}">back to now</a> <b>${esc(asOfNote(asOf, basis))}</b>` : ""}
    </form>
    <div class="card"><dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl></div>
    ${originSection(rec)}
    ${rec.responses.length ? `<h2>Responses</h2>${rec.responses.map((r) => `<div class="card">
      <b>${words(r.position || "no position yet")}</b> <span class="muted">received ${esc(r.received_on)}</span><p>${esc(r.text)}</p></div>`).join("")}` : ""}
    ${(rec.follow_ups || []).length ? `<h2>Follow-up</h2><table><tbody>${rec.follow_ups.map((f) => `
      <tr><td>${esc(f.on)}</td><td>${words(f.kind)}</td><td>${esc(f.summary)}</td></tr>`).join("")}</tbody></table>` : ""}
    ${openTasks.length ? `<h2>Open tasks</h2><ul>${openTasks.map((t) => `<li>${esc(t.title)} — due ${esc(t.due_on)}
      <a href="#/inbox?view=open">inbox</a></li>`).join("")}</ul>` : ""}
    ${asOf ? "" : `<section id="letters"></section>${actionForms(rec)}`}
    <h2>History</h2>
    <ol class="timeline">${history
      ? history.events.map((entry) => historyEntry(entry, timeline.entries)).join("")
      : timeline.entries.map(timelineEntry).join("")}</ol>`;
  document.getElementById("as-of").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const day = form.get("as_of");
    const chosen = day && form.get("basis") === "recorded" ? "recorded" : "";
    location.hash = `#/recommendations/${id}${query({ as_of: day, basis: chosen })}`;
  });
  for (const form of main().querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const spec = ACTIONS[form.dataset.action];
      if (spec.confirm && !window.confirm(spec.confirm)) return;
      await submitting(form, async () => {
        await api("POST", `/recommendations/${id}/${spec.path}?wait=true`,
          { body: formBody(form, spec), key: form.dataset.key, version: rec.version });
        // The page is drawn afresh first, so the message stands on the new page.
        await route();
        flash(`${spec.title}: recorded.`);
      });
    });
  }
  if (!asOf) await letters(rec);
}

// The letters naming it (letters.js); staff may write one, at a level of the ladder.
async function letters(rec) {
  const authority = can("draft") ? await api("GET", `/authorities/${rec.authority_id}`).catch(() => null) : null;
  await showLetters(document.getElementById("letters"), `/recommendations/${rec.id}/letters`, {
    reportId: rec.report_id || null,
    recommendationIds: [rec.id],
    authorityId: rec.authority_id,
    ladder: authority ? authority.escalation_ladder.levels : [],
  });
}

function placeLink(rec, place) {
  if (!rec.place_id) return "—";
  const name = place ? `${esc(place.name)} <span class="muted">(${words(place.place_type)})</span>` : "the place";
  return `<a href="#/places/${esc(rec.place_id)}">${name}</a>`;
}

function visitLink(rec, place, visit) {
  if (!rec.visit_id) return "—";
  if (!visit) return `<a href="#/places/${esc(rec.place_id || "")}">a visit</a>`;
  return `<a href="#/places/${esc(rec.place_id)}">${words(visit.kind)} visit, ${esc(visit.start_date)} – ${esc(visit.end_date)}</a>`;
}

function reportLink(rec, report) {
  if (!rec.report_id) return "—";
  const title = report ? esc(report.title) : "the report";
  const entry = can("read_all") ? `<a href="#/reports/${esc(rec.report_id)}">${title}</a>` : title;
  const document = report && /^https?:\/\//.test(report.link || "")
    ? ` · <a href="${esc(report.link)}" rel="noopener" target="_blank">the document</a>` : "";
  return `${entry}${document}`;
}

// One history entry as a person reads it: its summary line, then when; for the
// recommendation's own events, what changed (the audit timeline's before → after) on demand.
function historyEntry(entry, timelineEntries) {
  const audit = entry.task_id ? null : timelineEntries.find((t) => t.version === entry.version);
  const changes = audit && (audit.changes || []).length
    ? `<details><summary class="muted">what changed</summary>${audit.changes.map((c) => `<div class="change">${
      words(c.field)}: ${esc(JSON.stringify(c.before))} → ${esc(JSON.stringify(c.after))}</div>`).join("")}</details>`
    : "";
  return `<li${entry.task_id ? ' class="task"' : ""}>${esc(entry.summary)}
    <div class="muted">${esc(entry.business_date || "")} · recorded ${
      esc(String(entry.recorded_at).replace("T", " ").slice(0, 16))}</div>${changes}</li>`;
}

// A fact's row shows when the answer holds its field (a liaison's holds only the
// publishable ones); "!field" when it does not.
function shown(rec, field) {
  if (!field) return true;
  return field.startsWith("!") ? !(field.slice(1) in rec) : field in rec;
}

function notYetPage(id, day, basis) {
  const other = basis === "recorded"
    ? `<a href="#/recommendations/${esc(id)}${query({ as_of: day })}">Show its state by the dates things happened</a>`
    : `<a href="#/recommendations/${esc(id)}${query({ as_of: day, basis: "recorded" })}">Show what had been recorded by then</a>`;
  const said = basis === "recorded"
    ? `Nothing about this recommendation had been recorded by the end of ${day}.`
    : `By the dates things happened, this recommendation did not exist yet at the end of ${day}.`;
  return `<p><a href="#/recommendations/${esc(id)}">← this recommendation now</a></p>
    <div class="card"><p>${esc(said)}</p><p>${other}</p></div>`;
}

function asOfNote(day, basis) {
  return basis === "recorded"
    ? `Showing what had been recorded by the end of ${day}.`
    : `Showing the state at the end of ${day}, by the dates things happened (entries recorded later included).`;
}

function timelineEntry(entry) {
  const changes = (entry.changes || []).map((c) => `<div class="change">${words(c.field)}: ${
    esc(JSON.stringify(c.before))} → ${esc(JSON.stringify(c.after))}</div>`).join("");
  return `<li><b>${esc(entry.label || entry.event)}</b>
    <span class="muted">· business date ${esc(entry.business_date || "—")} · recorded ${
      esc(String(entry.recorded_at).replace("T", " ").slice(0, 19))}${entry.actor_role ? ` · by ${
      esc(entry.actor_role)} ${esc((entry.actor_id || "").slice(0, 12))}` : ""}</span>
    ${entry.reason ? `<div>Why: ${esc(entry.reason)}</div>` : ""}${changes}</li>`;
}
