// A place of detention's page, for the team preparing the next visit: how its
// recommendations went over the years (rates per year, with their table), what is still
// open, its visits, and every recommendation made about it.
import { api, badge, current, esc, main, query, word, words } from "./core.js";
import { chartWithTable, draw } from "./charts.js";
import { exportBar } from "./download.js";
import { openTable, stillOpen, yearsChart } from "./authority.js";
import { summarySentence } from "./stats.js";
import { formatDate, formatNumber, t } from "./i18n.js";

export async function placePage(params, id) {
  const live = current();
  const [place, figures, byYear, listed, open] = await Promise.all([
    api("GET", `/places/${id}/history`),
    api("GET", `/stats/figures${query({ place_id: id })}`),
    api("GET", `/stats/figures${query({ place_id: id, by: "year" })}`),
    api("GET", `/recommendations${query({ place_id: id, limit: 1 })}`),
    stillOpen({ place_id: id }),
  ]);
  if (!live()) return;
  const chart = yearsChart("chart-place-years", byYear);
  const lastVisit = place.visits.length ? place.visits[place.visits.length - 1] : null;
  const authorityName = listed.items.length ? listed.items[0].authority_name : null;
  main().innerHTML = `
    <h1>${esc(place.name)} <span class="muted">${words(place.place_type)}</span></h1>
    <p>${place.authority_id ? `${esc(t("Answers to"))} <a href="#/authorities/${esc(place.authority_id)}">${esc(authorityName || t("its authority"))}</a>. ` : ""}
      ${lastVisit ? esc(t("Last visited {start} – {end} ({kind}).", { start: formatDate(lastVisit.start_date), end: formatDate(lastVisit.end_date), kind: word(lastVisit.kind) })) : esc(t("Never visited yet."))}</p>
    <p class="lead">${summarySentence(figures.totals, t("about this place"), true)}</p>
    ${chartWithTable(chart)}
    <h2>${esc(t("Still open before the next visit ({count})", { count: formatNumber(open.total) }))}</h2>
    ${openTable(open)}
    <h2>${esc(t("Visits"))}</h2>
    ${place.visits.length ? `<table><tbody>${place.visits.map((v) => `<tr><td>${esc(formatDate(v.start_date))} – ${
      esc(formatDate(v.end_date))}</td><td>${words(v.kind)}</td></tr>`).join("")}</tbody></table>` : `<p class="muted">${esc(t("None recorded."))}</p>`}
    <h2>${esc(t("Every recommendation, oldest first"))}</h2>
    ${place.recommendations.length ? exportBar({ place_id: id }) : ""}
    <p>${Object.entries(place.outcomes).map(([k, n]) => `${badge(k)} ${esc(formatNumber(n))}`).join(" ")}</p>
    <table><tbody>${place.recommendations.map((r) => `<tr><td class="date">${esc(formatDate(r.made_on || ""))}</td>
      <td><a href="#/recommendations/${esc(r.recommendation_id)}">${esc(r.text || r.recommendation_id)}</a></td>
      <td>${badge(r.status)} ${words(r.position || "")}${r.implementation ? `, ${words(r.implementation)}` : ""}</td></tr>`).join("")}</tbody></table>`;
  exportBar.wire();
  await draw([chart]);
}
