// An authority's page, for the visit team: how it has answered over the years (rates per
// year, with their table), its places, what is still open, and every recommendation.
import { api, badge, current, esc, main, query, words } from "./core.js";
import { chartWithTable, draw } from "./charts.js";
import { contactSection, wireContact } from "./contact.js";
import { summarySentence } from "./stats.js";

const OPEN = ["issued", "responded", "assessed"];

// Open: the authority still owes a reply, or has not (yet) implemented what it answered.
export const isOpen = (r) => OPEN.includes(r.status) && r.implementation !== "implemented";

export function openTable(rows) {
  if (!rows.length) return `<p class="muted">Nothing is open.</p>`;
  return `<table><thead><tr><th>Made</th><th>Recommendation</th><th>Where it stands</th><th>Next</th></tr></thead>
    <tbody>${rows.map((r) => `<tr><td class="date">${esc(r.made_on || "")}</td>
      <td><a href="#/recommendations/${esc(r.recommendation_id)}">${esc(r.reference ? `${r.reference}: ` : "")}${esc(r.text || "")}</a>
        ${r.place_name ? `<div class="muted">${esc(r.place_name)}</div>` : ""}</td>
      <td>${badge(r.status)} ${words(r.position || "")}${r.implementation ? `, ${words(r.implementation)}` : ""}</td>
      <td>${r.next_action ? `${esc(r.next_action)} ${esc(r.due_on || "")}` : ""}
        ${r.overdue ? `${badge("overdue")} <span class="muted">${esc(r.days_overdue)} days</span>` : ""}</td></tr>`).join("")}</tbody></table>`;
}

export function yearsChart(id, byYear) {
  const years = [...byYear.groups].sort((a, b) => Number(a.group) - Number(b.group));
  return {
    id, title: "Over the years", type: "line", labelHeading: "Year", unit: "%", max: 100,
    labels: years.map((g) => g.group),
    series: [
      { name: "Acceptance rate", values: years.map((g) => g.acceptance_rate) },
      { name: "Implementation rate", values: years.map((g) => g.implementation_rate) },
    ],
  };
}

async function allOf(filters) {
  const pages = await Promise.all(OPEN.map((status) =>
    api("GET", `/recommendations${query({ ...filters, status, limit: 500 })}`)));
  return pages.flatMap((p) => p.items);
}

export async function authorityPage(params, id) {
  const live = current();
  const [authority, figures, byYear, places, open, recent] = await Promise.all([
    api("GET", `/authorities/${id}`),
    api("GET", `/stats/figures${query({ authority_id: id })}`),
    api("GET", `/stats/figures${query({ authority_id: id, by: "year" })}`),
    api("GET", `/places${query({ authority_id: id })}`),
    allOf({ authority_id: id }),
    api("GET", `/recommendations${query({ authority_id: id, limit: 200 })}`),
  ]);
  if (!live()) return;
  const chart = yearsChart("chart-authority-years", byYear);
  const stillOpen = open.filter(isOpen).sort((a, b) => String(a.made_on).localeCompare(String(b.made_on)));
  main().innerHTML = `
    <h1>${esc(authority.name)} <span class="muted">${words(authority.kind)}</span></h1>
    <p class="lead">${summarySentence(figures.totals, "to it over the years")}</p>
    <p>Replies are due within ${esc(authority.reply_policy.period_days)} ${words(authority.reply_policy.day_kind)} days
      (${esc(authority.reply_policy.urgent_period_days)} for an urgent recommendation).
      <a href="#/stats${query({ authority_id: id })}">All its statistics</a>.</p>
    ${contactSection(authority)}
    ${chartWithTable(chart)}
    <h2>Still open (${esc(stillOpen.length)})</h2>
    ${openTable(stillOpen)}
    <h2>Its places of detention</h2>
    ${places.items.length ? `<ul>${places.items.map((p) => `<li><a href="#/places/${esc(p.place_id)}">${esc(p.name)}</a>
      <span class="muted">${words(p.place_type)}</span></li>`).join("")}</ul>` : `<p class="muted">None registered.</p>`}
    <h2>Every recommendation, newest first</h2>
    <p class="muted">${recent.total > recent.items.length ? `The latest ${esc(recent.items.length)} of ${esc(recent.total)}; ` +
      `<a href="#/recommendations${query({ authority_id: id })}">the full list</a>.` : `${esc(recent.items.length)} in all.`}</p>
    <table><tbody>${recent.items.map((r) => `<tr><td class="date">${esc(r.made_on || "")}</td>
      <td><a href="#/recommendations/${esc(r.recommendation_id)}">${esc(r.text || r.recommendation_id)}</a></td>
      <td>${badge(r.status)} ${words(r.position || "")}${r.implementation ? `, ${words(r.implementation)}` : ""}</td></tr>`).join("")}</tbody></table>`;
  wireContact(id);
  await draw([chart]);
}
