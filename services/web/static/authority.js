// An authority's page, for the visit team: how it has answered over the years (rates per
// year, with their table), its places, what is still open, and every recommendation.
import { api, badge, current, esc, main, query, words } from "./core.js";
import { chartWithTable, draw } from "./charts.js";
import { exportBar } from "./download.js";
import { contactSection, wireContact } from "./contact.js";
import { summarySentence } from "./stats.js";
import { formatDate, formatNumber, t, tn } from "./i18n.js";

// Still open (the list's `open` filter, oldest first): the authority owes a reply, or has
// not (yet) implemented what it answered. `page`: that list's answer.
export const stillOpen = (filters) => api("GET", `/recommendations${query({ ...filters, open: true, limit: 500 })}`);

export function openTable(page) {
  const rows = page.items;
  if (!rows.length) return `<p class="muted">${esc(t("Nothing is open."))}</p>`;
  const more = page.total > rows.length ? `<p class="muted">${esc(t("The oldest {shown} of {total}.", {
    shown: formatNumber(rows.length), total: formatNumber(page.total) }))}</p>` : "";
  return `${more}<table><thead><tr><th>${esc(t("Made"))}</th><th>${esc(t("Recommendation"))}</th><th>${esc(t("Where it stands"))}</th><th>${esc(t("Next"))}</th></tr></thead>
    <tbody>${rows.map((r) => `<tr><td class="date">${esc(formatDate(r.made_on || ""))}</td>
      <td><a href="#/recommendations/${esc(r.recommendation_id)}">${esc(r.reference ? `${r.reference}: ` : "")}${esc(r.text || "")}</a>
        ${r.place_name ? `<div class="muted">${esc(r.place_name)}</div>` : ""}</td>
      <td>${badge(r.status)} ${words(r.position || "")}${r.implementation ? `, ${words(r.implementation)}` : ""}</td>
      <td>${r.next_action ? `${esc(r.next_action)} ${esc(formatDate(r.due_on || ""))}` : ""}
        ${r.overdue ? `${badge("overdue")} <span class="muted">${esc(tn("{count} day", "{count} days", r.days_overdue))}</span>` : ""}</td></tr>`).join("")}</tbody></table>`;
}

export function yearsChart(id, byYear) {
  const years = [...byYear.groups].sort((a, b) => Number(a.group) - Number(b.group));
  return {
    id, title: t("Over the years"), type: "line", labelHeading: t("Year"), unit: "%", max: 100,
    labels: years.map((g) => g.group),
    series: [
      { name: t("Acceptance rate"), values: years.map((g) => g.acceptance_rate) },
      { name: t("Implementation rate"), values: years.map((g) => g.implementation_rate) },
    ],
  };
}

export async function authorityPage(params, id) {
  const live = current();
  const [authority, figures, byYear, places, open, recent] = await Promise.all([
    api("GET", `/authorities/${id}`),
    api("GET", `/stats/figures${query({ authority_id: id })}`),
    api("GET", `/stats/figures${query({ authority_id: id, by: "year" })}`),
    api("GET", `/places${query({ authority_id: id })}`),
    stillOpen({ authority_id: id }),
    api("GET", `/recommendations${query({ authority_id: id, limit: 200 })}`),
  ]);
  if (!live()) return;
  const chart = yearsChart("chart-authority-years", byYear);
  const policy = { days: formatNumber(authority.reply_policy.period_days),
    urgent: formatNumber(authority.reply_policy.urgent_period_days) };
  main().innerHTML = `
    <h1>${esc(authority.name)} <span class="muted">${words(authority.kind)}</span></h1>
    <p class="lead">${summarySentence(figures.totals, t("to it over the years"), true)}</p>
    <p>${esc(authority.reply_policy.day_kind === "working"
      ? t("Replies are due within {days} working days ({urgent} for an urgent recommendation).", policy)
      : t("Replies are due within {days} calendar days ({urgent} for an urgent recommendation).", policy))}
      <a href="#/stats${query({ authority_id: id })}">${esc(t("All its statistics"))}</a>.</p>
    ${contactSection(authority)}
    ${chartWithTable(chart)}
    <h2>${esc(t("Still open ({count})", { count: formatNumber(open.total) }))}</h2>
    ${openTable(open)}
    <h2>${esc(t("Its places of detention"))}</h2>
    ${places.items.length ? `<ul>${places.items.map((p) => `<li><a href="#/places/${esc(p.place_id)}">${esc(p.name)}</a>
      <span class="muted">${words(p.place_type)}</span></li>`).join("")}</ul>` : `<p class="muted">${esc(t("None registered."))}</p>`}
    <h2>${esc(t("Every recommendation, newest first"))}</h2>
    ${recent.items.length ? exportBar({ authority_id: id }) : ""}
    <p class="muted">${recent.total > recent.items.length ? `${esc(t("The latest {shown} of {total};", {
      shown: formatNumber(recent.items.length), total: formatNumber(recent.total) }))} ` +
      `<a href="#/recommendations${query({ authority_id: id })}">${esc(t("the full list"))}</a>.` : esc(t("{count} in all.", { count: formatNumber(recent.items.length) }))}</p>
    <table><tbody>${recent.items.map((r) => `<tr><td class="date">${esc(formatDate(r.made_on || ""))}</td>
      <td><a href="#/recommendations/${esc(r.recommendation_id)}">${esc(r.text || r.recommendation_id)}</a></td>
      <td>${badge(r.status)} ${words(r.position || "")}${r.implementation ? `, ${words(r.implementation)}` : ""}</td></tr>`).join("")}</tbody></table>`;
  exportBar.wire();
  wireContact(id);
  await draw([chart]);
}
