// The statistics page: figures by position and outcome for a year range and the lists'
// filters, each chart with its table; the authorities' scorecard; the annual report pack.
import { ApiFailure, api, authorities, current, esc, main, options, query, schemas, words } from "./core.js";
import { chartWithTable, draw } from "./charts.js";

const FILTERS = ["year_from", "year_to", "authority_id", "theme", "place_type", "kind"];
const pct = (v) => (v == null ? "—" : `${esc(v)} %`);
const n = (v) => esc(Number(v).toLocaleString("en"));

// One sentence a head of unit can read out: what the selection holds and how it went.
export function summarySentence(t, span) {
  if (!t.issued) return `No recommendation was issued ${span}.`;
  return `${n(t.issued)} recommendation${t.issued === 1 ? " was" : "s were"} issued ${span}. ` +
    `The authorities replied on time to ${n(t.replied_on_time)}, late to ${n(t.replied_late)} ` +
    `and not at all to ${n(t.not_replied)}` +
    (t.median_reply_days == null ? "." : `; the median reply took ${esc(t.median_reply_days)} days.`) +
    ` Acceptance rate ${pct(t.acceptance_rate)}, implementation rate ${pct(t.implementation_rate)}` +
    `, ${n(t.verified)} verified by the NPM.`;
}

function span(f) {
  if (f.year_from && f.year_to) return f.year_from === f.year_to ? `in ${f.year_from}` : `from ${f.year_from} to ${f.year_to}`;
  if (f.year_from) return `since ${f.year_from}`;
  if (f.year_to) return `up to ${f.year_to}`;
  return "in all years";
}

async function download(year, format) {
  const response = await fetch(`/api/v1/stats/annual-report${query({ year, format })}`);
  if (!response.ok) throw new ApiFailure(response.status, await response.json().catch(() => null));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `recommendations-${year}.${format}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

export async function statsPage(params) {
  const f = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || ""]));
  const live = current();
  const [figures, byTheme, byYear, byAuthority, scorecard, known] = await Promise.all([
    api("GET", `/stats/figures${query(f)}`),
    api("GET", `/stats/figures${query({ ...f, by: "theme" })}`),
    api("GET", `/stats/figures${query({ ...f, by: "year" })}`),
    api("GET", `/stats/figures${query({ ...f, by: "authority" })}`),
    api("GET", `/stats/authorities${query({ year: f.year_from && f.year_from === f.year_to ? f.year_from : "" })}`),
    authorities(),
    schemas(),
  ]);
  if (!live()) return;
  const t = figures.totals;
  const themes = byTheme.groups.slice(0, 12);
  const years = [...byYear.groups].sort((a, b) => Number(a.group) - Number(b.group));
  const charts = [
    { id: "chart-timeliness", title: "Reply timeliness", labelHeading: "Reply",
      labels: ["On time", "Late", "Not replied"],
      series: [{ name: "Recommendations", values: [t.replied_on_time, t.replied_late, t.not_replied] }] },
    { id: "chart-positions", title: "The authorities' positions", labelHeading: "Position",
      labels: ["Accepted", "Partially accepted", "Rejected", "Noted"],
      series: [{ name: "Recommendations", values: [t.accepted, t.partially_accepted, t.rejected, t.noted] }] },
    { id: "chart-implementation", title: "Implementation", labelHeading: "Outcome",
      labels: ["Implemented", "Partially implemented", "In progress", "Not implemented", "Verified by the NPM"],
      series: [{ name: "Recommendations", values: [t.implemented, t.partially_implemented, t.in_progress,
        t.not_implemented, t.verified] }] },
    { id: "chart-years", title: "Acceptance and implementation over the years", type: "line",
      labelHeading: "Year", unit: "%", max: 100, labels: years.map((g) => g.group),
      series: [{ name: "Acceptance rate", values: years.map((g) => g.acceptance_rate) },
        { name: "Implementation rate", values: years.map((g) => g.implementation_rate) }] },
    { id: "chart-themes", title: "Acceptance and implementation by theme", horizontal: true,
      labelHeading: "Theme", unit: "%", max: 100, labels: themes.map((g) => g.group),
      note: byTheme.groups.length > themes.length ? `The ${themes.length} themes with the most recommendations.` : "",
      series: [{ name: "Acceptance rate", values: themes.map((g) => g.acceptance_rate) },
        { name: "Implementation rate", values: themes.map((g) => g.implementation_rate) }] },
    { id: "chart-escalations", title: "Escalations by level", labelHeading: "Level",
      labels: Object.keys(figures.escalations).map((l) => `Level ${l}`),
      series: [{ name: "Escalations", values: Object.values(figures.escalations) }] },
  ];
  const reasons = figures.definitions.filter((d) => d.key.startsWith("not_implemented_"));
  const follow = Object.entries(figures.follow_ups).sort((a, b) => b[1] - a[1]);
  const lastYear = String(new Date().getFullYear() - 1);
  main().innerHTML = `
    <h1>Statistics</h1>
    <form class="filters" id="stats-filters">
      <label>From year <input type="number" name="year_from" min="1900" max="2200" value="${esc(f.year_from)}" class="narrow"></label>
      <label>To year <input type="number" name="year_to" min="1900" max="2200" value="${esc(f.year_to)}" class="narrow"></label>
      <label>Authority <select name="authority_id"><option value="">any</option>${known.map((a) =>
        `<option value="${esc(a.authority_id)}"${a.authority_id === f.authority_id ? " selected" : ""}>${esc(a.name)}</option>`).join("")}</select></label>
      <label>Theme <input name="theme" value="${esc(f.theme)}"></label>
      <label>Place type <select name="place_type">${options("PlaceType", f.place_type, "any")}</select></label>
      <label>Kind <select name="kind">${options("RecommendationKind", f.kind, "any")}</select></label>
      <button type="submit">Show</button>
    </form>
    <p class="lead" id="summary">${summarySentence(t, span(f))}</p>
    <form class="filters report-pack" id="pack">
      <label>Annual report pack for <input type="number" name="year" min="1900" max="2200" value="${esc(f.year_from || lastYear)}" class="narrow"></label>
      <button type="submit" name="format" value="xlsx">Download spreadsheet (XLSX)</button>
      <button type="submit" name="format" value="pdf">Download PDF</button>
      <button type="submit" name="format" value="html">Download printable page (HTML)</button>
      <span class="muted" id="pack-status" role="status"></span>
    </form>
    ${charts.map(chartWithTable).join("")}
    <h2>Not implemented, and why</h2>
    <table class="chart-table"><tbody>${reasons.map((d) => `<tr><td>${esc(d.label.replace("Not implemented: ", ""))}</td>
      <td class="num">${n(t[d.key])}</td></tr>`).join("")}</tbody></table>
    <h2>Follow-up actions</h2>
    ${follow.length ? `<table class="chart-table"><tbody>${follow.map(([kind, count]) => `<tr><td>${words(kind)}</td>
      <td class="num">${n(count)}</td></tr>`).join("")}</tbody></table>` : `<p class="muted">None recorded for this selection.</p>`}
    <h2>Per authority</h2>
    <table><thead><tr><th>Authority</th><th class="num">Issued</th><th class="num">On time</th><th class="num">Late</th>
      <th class="num">No reply</th><th class="num">Accepted</th><th class="num">Partially</th><th class="num">Rejected</th>
      <th class="num">Noted</th><th class="num">Acceptance</th><th class="num">Implemented</th><th class="num">Implementation</th></tr></thead>
    <tbody>${byAuthority.groups.map((g) => `<tr><td><a href="#/authorities/${esc(g.group)}">${esc(g.name)}</a></td>
      <td class="num">${n(g.issued)}</td><td class="num">${n(g.replied_on_time)}</td><td class="num">${n(g.replied_late)}</td>
      <td class="num">${n(g.not_replied)}</td><td class="num">${n(g.accepted)}</td><td class="num">${n(g.partially_accepted)}</td>
      <td class="num">${n(g.rejected)}</td><td class="num">${n(g.noted)}</td><td class="num">${pct(g.acceptance_rate)}</td>
      <td class="num">${n(g.implemented)}</td><td class="num">${pct(g.implementation_rate)}</td></tr>`).join("")}</tbody></table>
    <h2>Authorities' scorecard${f.year_from && f.year_from === f.year_to ? ` for ${esc(f.year_from)}` : ", every year"}</h2>
    <table><thead><tr><th>Authority</th><th class="num">Year</th><th class="num">Issued</th><th class="num">Replied</th>
      <th class="num">On time</th><th class="num">Median days to reply</th><th class="num">Accepted</th>
      <th class="num">Implemented &amp; verified</th><th class="num">Overdue now</th></tr></thead>
    <tbody>${scorecard.items.map((r) => `<tr><td>${esc(r.authority_name)}</td><td class="num">${esc(r.year)}</td>
      <td class="num">${esc(r.issued)}</td><td class="num">${esc(r.replied)}</td><td class="num">${pct(r.replied_on_time_pct)}</td>
      <td class="num">${esc(r.median_days_to_reply ?? "—")}</td><td class="num">${pct(r.accepted_pct)}</td>
      <td class="num">${pct(r.implemented_verified_pct)}</td><td class="num">${esc(r.overdue_now)}</td></tr>`).join("")}</tbody></table>`;
  document.getElementById("stats-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    location.hash = `#/stats${query(Object.fromEntries(FILTERS.map((k) => [k, data.get(k) || ""])))}`;
  });
  document.getElementById("pack").addEventListener("submit", async (event) => {
    event.preventDefault();
    const year = new FormData(event.target).get("year");
    const format = event.submitter ? event.submitter.value : "xlsx";
    const status = document.getElementById("pack-status");
    status.textContent = `Making the ${year} pack…`;
    try {
      await download(year, format);
      status.textContent = `The ${year} pack (${format.toUpperCase()}) is downloaded.`;
    } catch (error) {
      status.textContent = error instanceof ApiFailure ? `Could not make the pack: ${error.message}` : String(error);
    }
  });
  await draw(charts);
}
