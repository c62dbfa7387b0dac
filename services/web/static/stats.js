// The statistics page: figures by position and outcome for a year range and the lists'
// filters, each chart with its table; the authorities' scorecard; the annual report pack.
// An authority's liaison gets the same page over its own authority, with what the API
// lets out to it: no themes (tags), reasons, follow-ups or escalations (internal).
import { ApiFailure, api, authorities, can, current, esc, main, options, query, schemas, word, words } from "./core.js";
import { downloadFile } from "./download.js";
import { chartWithTable, draw } from "./charts.js";
import { sourceOptions } from "./origin.js";
import { formatNumber, pt, t, tn } from "./i18n.js";

const FILTERS = ["year_from", "year_to", "authority_id", "theme", "place_type", "kind", "source"];
// What a liaison may filter on: its authority is given, and themes are tags (internal).
const OUTSIDER_FILTERS = ["year_from", "year_to", "place_type", "kind", "source"];
const pct = (v) => (v == null ? "—" : `${esc(formatNumber(v))} %`);
const n = (v) => esc(formatNumber(Number(v)));

// One sentence a head of unit can read out: what the selection holds and how it went.
// `span` is a phrase already in the reader's language ("in 2024", "about this place");
// `one`: the recommendations were all issued to one authority (it replied, not they).
export function summarySentence(totals, span, one = false) {
  if (!totals.issued) return esc(t("No recommendation was issued {span}.", { span }));
  const num = (v) => formatNumber(Number(v));
  const replied = { onTime: num(totals.replied_on_time), late: num(totals.replied_late), none: num(totals.not_replied) };
  return esc([
    tn("{count} recommendation was issued {span}.", "{count} recommendations were issued {span}.", totals.issued, { span }),
    totals.median_reply_days == null
      ? (one ? t("The authority replied on time to {onTime}, late to {late} and not at all to {none}.", replied)
        : t("The authorities replied on time to {onTime}, late to {late} and not at all to {none}.", replied))
      : (one ? t("The authority replied on time to {onTime}, late to {late} and not at all to {none}; the median reply took {days} days.",
        { ...replied, days: num(totals.median_reply_days) })
        : t("The authorities replied on time to {onTime}, late to {late} and not at all to {none}; the median reply took {days} days.",
          { ...replied, days: num(totals.median_reply_days) })),
    t("Acceptance rate {acceptance}, implementation rate {implementation}, {verified} verified by the NPM.", {
      acceptance: pct(totals.acceptance_rate), implementation: pct(totals.implementation_rate), verified: num(totals.verified) }),
  ].join(" "));
}

function span(f) {
  const years = { from: f.year_from, to: f.year_to };
  if (f.year_from && f.year_to) return f.year_from === f.year_to ? t("in {from}", years) : t("from {from} to {to}", years);
  if (f.year_from) return t("since {from}", years);
  if (f.year_to) return t("up to {to}", years);
  return t("in all years");
}

// Table headings: the first column's, then the number columns' (looked up in the catalogs).
const HEADINGS = () => ({
  Authority: t("Authority"), "Recommended by": t("Recommended by"), Year: t("Year"), Issued: t("Issued"),
  "On time": t("On time"), Late: t("Late"), "No reply": t("No reply"), Accepted: t("Accepted"),
  Partially: t("Partially"), Rejected: t("Rejected"), Noted: t("Noted"), Acceptance: t("Acceptance"),
  Implemented: t("Implemented"), Implementation: t("Implementation"), Replied: t("Replied"),
  "Median days to reply": t("Median days to reply"), "Implemented & verified": t("Implemented & verified"),
  "Overdue now": t("Overdue now"),
});
function heads(first, numbers) {
  const shown = HEADINGS();
  return first.map((h) => `<th>${esc(shown[h])}</th>`).join("") +
    numbers.map((h) => `<th class="num">${esc(shown[h])}</th>`).join("");
}

// The reasons for not implementing, named by the figures' keys (not_implemented_<reason>).
const reasonLabel = (d) => word(d.key.replace("not_implemented_", "")) || d.label;

const download = (year, format) => downloadFile(
  `/stats/annual-report${query({ year, format })}`, `recommendations-${year}.${format}`);

const NO_GROUPS = { groups: [] };

export async function statsPage(params) {
  const staff = can("read_all");
  const shown = staff ? FILTERS : OUTSIDER_FILTERS;
  const f = Object.fromEntries(FILTERS.map((k) => [k, shown.includes(k) ? params.get(k) || "" : ""]));
  const live = current();
  const [figures, byTheme, byYear, byAuthority, scorecard, known, , byBody] = await Promise.all([
    api("GET", `/stats/figures${query(f)}`),
    staff ? api("GET", `/stats/figures${query({ ...f, by: "theme" })}`) : NO_GROUPS,
    api("GET", `/stats/figures${query({ ...f, by: "year" })}`),
    api("GET", `/stats/figures${query({ ...f, by: "authority" })}`),
    api("GET", `/stats/authorities${query({ year: f.year_from && f.year_from === f.year_to ? f.year_from : "" })}`),
    authorities(),
    schemas(),
    api("GET", `/stats/figures${query({ ...f, by: "recommending_body" })}`),
  ]);
  if (!live()) return;
  const totals = figures.totals;
  const themes = byTheme.groups.slice(0, 12);
  const years = [...byYear.groups].sort((a, b) => Number(a.group) - Number(b.group));
  const everyChart = [
    { id: "chart-timeliness", title: t("Reply timeliness"), labelHeading: t("Reply"),
      labels: [t("On time"), t("Late"), t("Not replied")],
      series: [{ name: t("Recommendations"), values: [totals.replied_on_time, totals.replied_late, totals.not_replied] }] },
    { id: "chart-positions", title: t("The authorities' positions"), labelHeading: t("Position"),
      labels: [t("Accepted"), t("Partially accepted"), t("Rejected"), t("Noted")],
      series: [{ name: t("Recommendations"), values: [totals.accepted, totals.partially_accepted, totals.rejected, totals.noted] }] },
    { id: "chart-implementation", title: t("Implementation"), labelHeading: t("Outcome"),
      labels: [t("Implemented"), t("Partially implemented"), t("In progress"), t("Not implemented"), t("Verified by the NPM")],
      series: [{ name: t("Recommendations"), values: [totals.implemented, totals.partially_implemented, totals.in_progress,
        totals.not_implemented, totals.verified] }] },
    { id: "chart-years", title: t("Acceptance and implementation over the years"), type: "line",
      labelHeading: t("Year"), unit: "%", max: 100, labels: years.map((g) => g.group),
      series: [{ name: t("Acceptance rate"), values: years.map((g) => g.acceptance_rate) },
        { name: t("Implementation rate"), values: years.map((g) => g.implementation_rate) }] },
    { id: "chart-themes", title: t("Acceptance and implementation by theme"), horizontal: true,
      labelHeading: t("Theme"), unit: "%", max: 100, labels: themes.map((g) => g.group),
      note: byTheme.groups.length > themes.length
        ? t("The {count} themes with the most recommendations.", { count: formatNumber(themes.length) }) : "",
      series: [{ name: t("Acceptance rate"), values: themes.map((g) => g.acceptance_rate) },
        { name: t("Implementation rate"), values: themes.map((g) => g.implementation_rate) }] },
    { id: "chart-escalations", title: t("Escalations by level"), labelHeading: t("Level"),
      labels: Object.keys(figures.escalations || {}).map((l) => t("Level {level}", { level: l })),
      series: [{ name: t("Escalations"), values: Object.values(figures.escalations || {}) }] },
  ];
  const charts = staff ? everyChart : everyChart.filter((c) => !["chart-themes", "chart-escalations"].includes(c.id));
  // a liaison's authority, by the name its own figures carry
  const mine = byAuthority.groups.length ? byAuthority.groups[0].name
    : scorecard.items.length ? scorecard.items[0].authority_name : t("your authority");
  const reasons = figures.definitions.filter((d) => d.key.startsWith("not_implemented_"));
  const follow = Object.entries(figures.follow_ups || {}).sort((a, b) => b[1] - a[1]);
  const lastYear = String(new Date().getFullYear() - 1);
  main().innerHTML = `
    <h1>${esc(staff ? t("Statistics") : t("Statistics for {authority}", { authority: mine }))}</h1>
    ${staff ? "" : `<p>${esc(t("The recommendations the NPM issued to {authority}: how they were answered and implemented, as the NPM publishes them.", { authority: mine }))}</p>`}
    <form class="filters" id="stats-filters">
      <label>${esc(t("From year"))} <input type="number" name="year_from" min="1900" max="2200" value="${esc(f.year_from)}" class="narrow"></label>
      <label>${esc(t("To year"))} <input type="number" name="year_to" min="1900" max="2200" value="${esc(f.year_to)}" class="narrow"></label>
      ${staff ? `<label>${esc(t("Authority"))} <select name="authority_id"><option value="">${esc(pt("authority", "any"))}</option>${known.map((a) =>
        `<option value="${esc(a.authority_id)}"${a.authority_id === f.authority_id ? " selected" : ""}>${esc(a.name)}</option>`).join("")}</select></label>
      <label>${esc(t("Theme"))} <input name="theme" value="${esc(f.theme)}"></label>` : ""}
      <label>${esc(t("Place type"))} <select name="place_type">${options("PlaceType", f.place_type, pt("place type", "any"))}</select></label>
      <label>${esc(t("Kind"))} <select name="kind">${options("RecommendationKind", f.kind, pt("kind", "any"))}</select></label>
      <label>${esc(t("Source"))} <select name="source">${sourceOptions(f.source, pt("source", "any"))}</select></label>
      <button type="submit">${esc(t("Show"))}</button>
    </form>
    <p class="lead" id="summary">${summarySentence(totals, span(f), !staff || Boolean(f.authority_id))}</p>
    <form class="filters report-pack" id="pack">
      <label>${esc(t("Annual report pack for"))} <input type="number" name="year" min="1900" max="2200" value="${esc(f.year_from || lastYear)}" class="narrow"></label>
      <button type="submit" name="format" value="xlsx">${esc(t("Download spreadsheet (XLSX)"))}</button>
      <button type="submit" name="format" value="pdf">${esc(t("Download PDF"))}</button>
      <button type="submit" name="format" value="html">${esc(t("Download printable page (HTML)"))}</button>
      <span class="muted" id="pack-status" role="status"></span>
    </form>
    ${charts.map(chartWithTable).join("")}
    ${staff ? `<h2>${esc(t("Not implemented, and why"))}</h2>
    <table class="chart-table"><tbody>${reasons.map((d) => `<tr><td>${esc(reasonLabel(d))}</td>
      <td class="num">${n(totals[d.key])}</td></tr>`).join("")}</tbody></table>
    <h2>${esc(t("Follow-up actions"))}</h2>
    ${follow.length ? `<table class="chart-table"><tbody>${follow.map(([kind, count]) => `<tr><td>${words(kind)}</td>
      <td class="num">${n(count)}</td></tr>`).join("")}</tbody></table>` : `<p class="muted">${esc(t("None recorded for this selection."))}</p>`}
    <h2>${esc(t("Per authority"))}</h2>
    <table><thead><tr>${heads(["Authority"], ["Issued", "On time", "Late", "No reply", "Accepted", "Partially", "Rejected",
      "Noted", "Acceptance", "Implemented", "Implementation"])}</tr></thead>
    <tbody>${byAuthority.groups.map((g) => `<tr><td><a href="#/authorities/${esc(g.group)}">${esc(g.name)}</a></td>
      <td class="num">${n(g.issued)}</td><td class="num">${n(g.replied_on_time)}</td><td class="num">${n(g.replied_late)}</td>
      <td class="num">${n(g.not_replied)}</td><td class="num">${n(g.accepted)}</td><td class="num">${n(g.partially_accepted)}</td>
      <td class="num">${n(g.rejected)}</td><td class="num">${n(g.noted)}</td><td class="num">${pct(g.acceptance_rate)}</td>
      <td class="num">${n(g.implemented)}</td><td class="num">${pct(g.implementation_rate)}</td></tr>`).join("")}</tbody></table>` : ""}
    ${byBody.groups.length ? `<h2>${esc(t("Per recommending body"))}</h2>
    <table><thead><tr>${heads(["Recommended by"], ["Issued", "Accepted", "Partially", "Rejected", "Noted", "Acceptance",
      "Implemented", "Implementation"])}</tr></thead>
    <tbody>${byBody.groups.map((g) => `<tr><td>${esc(g.group)}</td><td class="num">${n(g.issued)}</td>
      <td class="num">${n(g.accepted)}</td><td class="num">${n(g.partially_accepted)}</td><td class="num">${n(g.rejected)}</td>
      <td class="num">${n(g.noted)}</td><td class="num">${pct(g.acceptance_rate)}</td><td class="num">${n(g.implemented)}</td>
      <td class="num">${pct(g.implementation_rate)}</td></tr>`).join("")}</tbody></table>` : ""}
    <h2>${esc(!staff ? t("Year by year") : f.year_from && f.year_from === f.year_to
      ? t("Authorities' scorecard for {year}", { year: f.year_from }) : t("Authorities' scorecard, every year"))}</h2>
    <table><thead><tr>${heads(staff ? ["Authority"] : [], ["Year", "Issued", "Replied", "On time", "Median days to reply",
      "Acceptance", "Implemented & verified", "Overdue now"])}</tr></thead>
    <tbody>${scorecard.items.map((r) => `<tr>${staff ? `<td>${esc(r.authority_name)}</td>` : ""}<td class="num">${esc(r.year)}</td>
      <td class="num">${n(r.issued)}</td><td class="num">${n(r.replied)}</td><td class="num">${pct(r.replied_on_time_pct)}</td>
      <td class="num">${r.median_days_to_reply == null ? "—" : n(r.median_days_to_reply)}</td><td class="num">${pct(r.acceptance_rate)}</td>
      <td class="num">${pct(r.implemented_verified_pct)}</td><td class="num">${n(r.overdue_now)}</td></tr>`).join("")}</tbody></table>`;
  document.getElementById("stats-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    location.hash = `#/stats${query(Object.fromEntries(shown.map((k) => [k, data.get(k) || ""])))}`;
  });
  document.getElementById("pack").addEventListener("submit", async (event) => {
    event.preventDefault();
    const year = new FormData(event.target).get("year");
    const format = event.submitter ? event.submitter.value : "xlsx";
    const status = document.getElementById("pack-status");
    status.textContent = t("Making the {year} pack…", { year });
    try {
      await download(year, format);
      status.textContent = t("The {year} pack ({format}) is downloaded.", { year, format: format.toUpperCase() });
    } catch (error) {
      status.textContent = error instanceof ApiFailure ? t("Could not make the pack: {message}", { message: error.message }) : String(error);
    }
  });
  await draw(charts);
}
