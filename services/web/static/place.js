// A place of detention's page: its outcomes, visits and recommendations.
import { api, badge, current, esc, main, words } from "./core.js";

export async function placePage(params, id) {
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
