// The statistics page: the authorities' scorecard and the most frequent themes, by year.
import { api, current, esc, main, query } from "./core.js";

export async function statsPage(params) {
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
