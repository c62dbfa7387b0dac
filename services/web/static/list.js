// The recommendations list page, with its filters.
import { PAGE, api, authorities, badge, current, esc, main, options, pager, query, schemas, words } from "./core.js";
import { sourceName, sourceOptions } from "./origin.js";
import { exportBar } from "./download.js";
import { formatDate, pt, t, tn } from "./i18n.js";

export async function listPage(params) {
  const live = current();
  await schemas();
  const all = await authorities();
  const f = Object.fromEntries(["status", "authority_id", "overdue", "year", "theme", "q", "source", "body"]
    .map((k) => [k, params.get(k) || ""]));
  const offset = Number(params.get("offset") || 0);
  const page = await api("GET", `/recommendations${query({ ...f, limit: PAGE, offset })}`);
  if (!live()) return;
  const rows = page.items.map((r) => `
    <tr>
      <td>${r.reference ? `<span class="reference">${esc(r.reference)}</span> ` : ""}<a href="#/recommendations/${esc(r.recommendation_id)}">${esc(r.text)}</a>
        <br><span class="muted">${words(r.kind)}${r.place_name ? ` · ${esc(r.place_name)}` : ""}${
          r.source ? ` · ${esc(sourceName(r.source))}` : ""}${
          (r.recommending_bodies || []).length ? ` · ${r.recommending_bodies.map(esc).join(", ")}` : ""}${
          r.themes && r.themes.length ? ` · ${r.themes.map(esc).join(", ")}` : ""}</span></td>
      <td>${esc(r.authority_name)}</td>
      <td>${badge(r.status)} ${r.historic ? badge("historic") : ""}${r.escalation_level ? `<span class="badge">${esc(t("escalated {level}", { level: r.escalation_level }))}</span>` : ""}</td>
      <td class="nowrap">${esc(formatDate(r.reply_due || ""))} ${r.overdue ? `${badge("overdue")}<br><span class="muted">${esc(tn("{count} day", "{count} days", r.days_overdue))}</span>` : ""}</td>
      <td class="nowrap">${esc(formatDate(r.made_on || ""))}</td>
    </tr>`).join("");
  const authorityPicker = all.length ? `<label>${esc(t("Authority"))} <select name="authority_id"><option value="">${esc(pt("authority", "any"))}</option>${
    all.map((a) => `<option value="${esc(a.authority_id)}"${a.authority_id === f.authority_id ? " selected" : ""}>${
      esc(a.name)}</option>`).join("")}</select></label>` : "";
  main().innerHTML = `
    <h1>${esc(f.overdue === "true" ? t("Overdue for a reply") : t("Recommendations"))}</h1>
    <form class="filters" id="filters">
      <label>${esc(t("Status"))} <select name="status">${options("Status", f.status, pt("status", "any"))}</select></label>
      ${authorityPicker}
      <label>${esc(t("Theme"))} <input name="theme" value="${esc(f.theme)}" size="12"></label>
      <label>${esc(t("Source"))} <select name="source">${sourceOptions(f.source, pt("source", "any"))}</select></label>
      <label>${esc(t("Recommended by"))} <input name="body" value="${esc(f.body)}" size="12"></label>
      <label>${esc(t("Year"))} <input name="year" type="number" min="1900" max="2200" value="${esc(f.year)}" class="narrow"></label>
      <label>${esc(t("Search"))} <input name="q" type="search" value="${esc(f.q)}" placeholder="${esc(t("words or a reference"))}"></label>
      <label class="check"><input type="checkbox" name="overdue" value="true"${f.overdue === "true" ? " checked" : ""}> ${esc(t("overdue only"))}</label>
      <button type="submit">${esc(t("Filter"))}</button>
    </form>
    ${page.items.length ? exportBar(f) : ""}
    ${page.items.length ? `<table><thead><tr><th>${esc(t("Recommendation"))}</th><th>${esc(t("Authority"))}</th><th>${esc(t("Status"))}</th>
      <th>${esc(t("Reply due"))}</th><th>${esc(t("Made"))}</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p class="muted">${esc(t("No recommendation matches."))}</p>`}
    ${pager(page, offset, (o) => `#/recommendations${query({ ...f, offset: o })}`)}`;
  exportBar.wire();
  document.getElementById("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target).entries());
    location.hash = `#/recommendations${query(data)}`;
  });
}
