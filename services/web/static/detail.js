// A recommendation's page: its facts, responses, open tasks, evidence documents, letters,
// action forms and history.
import { api, authorities, badge, can, current, esc, flash, main, query, route, schemas, submitting, today, word, words } from "./core.js";
import { actionForms, actions, formBody } from "./forms.js";
import { formatDate, formatNumber, t } from "./i18n.js";
import { originSection } from "./origin.js";
import { showEvidence } from "./evidence.js";
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
    [t("Status"), `${badge(rec.status)} ${rec.overdue ? badge("overdue") : ""}${rec.historic ? badge("historic") : ""}`],
    [t("Kind"), words(rec.kind)],
    [t("Authority"), esc(authority ? authority.name : can("read_all") ? rec.authority_id : t("your authority"))],
    [t("Reference"), rec.reference ? `<b>${esc(rec.reference)}</b>${rec.external_id ? ` <span class="muted">(${esc(t("source id {id}", { id: rec.external_id }))})</span>` : ""}` : `<span class="muted">${esc(t("none (recorded before references were given)"))}</span>`],
    [t("Place"), placeLink(rec, place)],
    [t("Visit"), visitLink(rec, place, visit), "visit_id"],
    [t("Report"), reportLink(rec, report)],
    [t("Drafted / issued"), `${esc(formatDate(rec.drafted_on))} / ${esc(rec.issued_on ? formatDate(rec.issued_on) : t("not yet"))}`, "drafted_on"],
    [t("Issued"), esc(rec.issued_on ? formatDate(rec.issued_on) : t("not yet")), "!drafted_on"],
    [t("Reply due"), esc(formatDate(rec.reply_due || "—"))],
    [t("Deadline missed on"), esc(formatDate(rec.reply_deadline_missed_on || "—")), "reply_deadline_missed_on"],
    [t("Escalation level"), esc(rec.escalation_level), "escalation_level"],
    [t("Position"), words(rec.position || "—")],
    [t("Agreed implementation"), esc(formatDate(rec.agreed_implementation_date || "—"))],
    [t("Implementation"), `${words(rec.implementation || "—")}${rec.non_implementation_reason ? ` (${words(rec.non_implementation_reason)})` : ""}`],
    [t("Verified"), rec.verified ? `${esc(t("yes"))}, ${esc(formatDate(rec.verified_on || ""))} ${esc(rec.verification_method || "")}` : esc(t("no"))],
    [t("Double-SMART review"), rec.review ? esc(t("{met} of {all} criteria met ({date})", { met: formatNumber(rec.review.met),
      all: formatNumber(Object.keys(rec.review.criteria).length), date: formatDate(rec.review.reviewed_on) })) : esc(t("not reviewed")), "review"],
    [t("Themes"), esc(((rec.tags || {}).themes || []).join(", ") || "—"), "tags"],
    [t("Repeats"), rec.repeats_id ? `<a href="#/recommendations/${esc(rec.repeats_id)}">${esc(t("an earlier recommendation"))}</a>` : "—", "repeats_id"],
  ].filter(([, , field]) => shown(rec, field));
  main().innerHTML = `
    <p><a href="#/recommendations">${esc(t("← all recommendations"))}</a></p>
    <h1>${rec.reference ? `<span class="reference">${esc(rec.reference)}</span> ` : ""}${esc(rec.text)}</h1>
    <form class="row" id="as-of">
      <label>${esc(t("State as of the end of"))} <input type="date" name="as_of" value="${esc(asOf)}" max="${today()}"></label>
      <label>${esc(t("counting"))} <select name="basis">
        <option value="business"${basis === "business" ? " selected" : ""}>${esc(t("what had happened by then (business date)"))}</option>
        <option value="recorded"${basis === "recorded" ? " selected" : ""}>${esc(t("what had been recorded by then"))}</option>
      </select></label>
      <button type="submit" class="secondary">${esc(t("Show"))}</button>
      ${asOf ? `<a href="#/recommendations/${esc(id)}">${esc(t("back to now"))}</a> <b>${esc(asOfNote(asOf, basis))}</b>` : ""}
    </form>
    <div class="card"><dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl></div>
    ${originSection(rec)}
    ${rec.responses.length ? `<h2>${esc(t("Responses"))}</h2>${rec.responses.map((r) => `<div class="card">
      <b>${r.position ? words(r.position) : esc(t("no position yet"))}</b> <span class="muted">${esc(t("received {date}", { date: formatDate(r.received_on) }))}</span><p>${esc(r.text)}</p></div>`).join("")}` : ""}
    ${(rec.follow_ups || []).length ? `<h2>${esc(t("Follow-up"))}</h2><table><tbody>${rec.follow_ups.map((f) => `
      <tr><td>${esc(formatDate(f.on))}</td><td>${words(f.kind)}</td><td>${esc(f.summary)}</td></tr>`).join("")}</tbody></table>` : ""}
    ${openTasks.length ? `<h2>${esc(t("Open tasks"))}</h2><ul>${openTasks.map((task) => `<li>${esc(task.title)} — ${esc(t("due {date}", { date: formatDate(task.due_on) }))}
      <a href="#/inbox?view=open">${esc(t("inbox"))}</a></li>`).join("")}</ul>` : ""}
    ${asOf ? "" : `<section id="evidence"></section><section id="letters"></section>${actionForms(rec)}`}
    <h2>${esc(t("History"))}</h2>
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
      const spec = actions()[form.dataset.action];
      if (spec.confirm && !window.confirm(spec.confirm)) return;
      await submitting(form, async () => {
        await api("POST", `/recommendations/${id}/${spec.path}?wait=true`,
          { body: formBody(form, spec), key: form.dataset.key, version: rec.version });
        // The page is drawn afresh first, so the message stands on the new page.
        await route();
        flash(t("{action}: recorded.", { action: spec.title }));
      });
    });
  }
  if (!asOf) await Promise.all([showEvidence(document.getElementById("evidence"), rec), letters(rec)]);
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
  const name = place ? `${esc(place.name)} <span class="muted">(${words(place.place_type)})</span>` : esc(t("the place"));
  return `<a href="#/places/${esc(rec.place_id)}">${name}</a>`;
}

function visitLink(rec, place, visit) {
  if (!rec.visit_id) return "—";
  if (!visit) return `<a href="#/places/${esc(rec.place_id || "")}">${esc(t("a visit"))}</a>`;
  return `<a href="#/places/${esc(rec.place_id)}">${esc(t("{kind} visit, {start} – {end}", {
    kind: word(visit.kind), start: formatDate(visit.start_date), end: formatDate(visit.end_date) }))}</a>`;
}

function reportLink(rec, report) {
  if (!rec.report_id) return "—";
  const title = report ? esc(report.title) : esc(t("the report"));
  const entry = can("read_all") ? `<a href="#/reports/${esc(rec.report_id)}">${title}</a>` : title;
  const document = report && /^https?:\/\//.test(report.link || "")
    ? ` · <a href="${esc(report.link)}" rel="noopener" target="_blank">${esc(t("the document"))}</a>` : "";
  return `${entry}${document}`;
}

// One history entry as a person reads it: its summary line, then when; for the
// recommendation's own events, what changed (the audit timeline's before → after) on demand.
function historyEntry(entry, timelineEntries) {
  // a task's events, and the letters and e-mails kept elsewhere, have no field changes here
  const elsewhere = entry.task_id || entry.about_id;
  const audit = elsewhere ? null : timelineEntries.find((e) => e.version === entry.version);
  const changes = audit && (audit.changes || []).length
    ? `<details><summary class="muted">${esc(t("what changed"))}</summary>${audit.changes.map((c) => `<div class="change">${
      words(c.field)}: ${esc(JSON.stringify(c.before))} → ${esc(JSON.stringify(c.after))}</div>`).join("")}</details>`
    : "";
  return `<li${entry.task_id ? ' class="task"' : entry.about_id ? ' class="correspondence"' : ""}>${esc(entry.summary)}
    <div class="muted">${esc(formatDate(entry.business_date || ""))} · ${esc(t("recorded {when}", {
      when: String(entry.recorded_at).replace("T", " ").slice(0, 16) }))}</div>${changes}</li>`;
}

// A fact's row shows when the answer holds its field (a liaison's holds only the
// publishable ones); "!field" when it does not.
function shown(rec, field) {
  if (!field) return true;
  return field.startsWith("!") ? !(field.slice(1) in rec) : field in rec;
}

function notYetPage(id, day, basis) {
  const other = basis === "recorded"
    ? `<a href="#/recommendations/${esc(id)}${query({ as_of: day })}">${esc(t("Show its state by the dates things happened"))}</a>`
    : `<a href="#/recommendations/${esc(id)}${query({ as_of: day, basis: "recorded" })}">${esc(t("Show what had been recorded by then"))}</a>`;
  const said = basis === "recorded"
    ? t("Nothing about this recommendation had been recorded by the end of {date}.", { date: formatDate(day) })
    : t("By the dates things happened, this recommendation did not exist yet at the end of {date}.", { date: formatDate(day) });
  return `<p><a href="#/recommendations/${esc(id)}">${esc(t("← this recommendation now"))}</a></p>
    <div class="card"><p>${esc(said)}</p><p>${other}</p></div>`;
}

function asOfNote(day, basis) {
  return basis === "recorded"
    ? t("Showing what had been recorded by the end of {date}.", { date: formatDate(day) })
    : t("Showing the state at the end of {date}, by the dates things happened (entries recorded later included).", { date: formatDate(day) });
}

function timelineEntry(entry) {
  const changes = (entry.changes || []).map((c) => `<div class="change">${words(c.field)}: ${
    esc(JSON.stringify(c.before))} → ${esc(JSON.stringify(c.after))}</div>`).join("");
  return `<li><b>${esc(entry.label || entry.event)}</b>
    <span class="muted">· ${esc(t("business date {date}", { date: formatDate(entry.business_date || "—") }))} · ${
      esc(t("recorded {when}", { when: String(entry.recorded_at).replace("T", " ").slice(0, 19) }))}${entry.actor_role ? ` · ${
      esc(t("by {role} {id}", { role: entry.actor_role, id: (entry.actor_id || "").slice(0, 12) }))}` : ""}</span>
    ${entry.reason ? `<div>${esc(t("Why: {reason}", { reason: entry.reason }))}</div>` : ""}${changes}</li>`;
}
