// The public register's page: for anyone, no sign-in. It reads the public feed
// (/public/v1/register: only what the NPM published, only publishable fields), offers its
// filters, and writes every date and number in the reader's language.
import { chosenLanguage, formatDate, languagePicker, loadLanguage, pt, t, tn } from "./i18n.js";
import { originSentences } from "./origin.js";

const FEED = "/public/v1/register";
const FILTERS = ["authority_id", "theme", "place_type", "year"];

const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => (
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

// Each value the feed names, in words (each one a catalog entry).
const WORDS = () => ({
  visit: t("visit recommendation"), thematic: t("thematic recommendation"),
  urgent: t("urgent recommendation"), annual_report: t("annual-report recommendation"),
  preliminary_observation: t("preliminary observation"),
  issued: t("issued"), responded: t("responded"), assessed: t("assessed"),
  withdrawn: t("withdrawn"), closed: t("closed"),
  accepted: t("accepted"), partially_accepted: t("partially accepted"),
  rejected: t("rejected"), noted: t("noted"),
  implemented: t("implemented"), partially_implemented: t("partially implemented"),
  in_progress: t("in progress"), not_implemented: t("not implemented"),
  prison: t("prison"), pre_trial_detention: t("pre-trial detention"),
  police_custody: t("police custody"), immigration_detention: t("immigration detention"),
  psychiatric_institution: t("psychiatric institution"), social_care_home: t("social care home"),
  juvenile_institution: t("juvenile institution"), military: t("military"), other: t("other"),
});
const PLACE_TYPES = ["prison", "pre_trial_detention", "police_custody", "immigration_detention",
  "psychiatric_institution", "social_care_home", "juvenile_institution", "military", "other"];
const word = (value) => esc(WORDS()[value] || String(value ?? "").replace(/_/g, " "));

function chosen() {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || ""]));
}

function query(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

async function render() {
  const main = document.getElementById("main");
  const picked = chosen();
  const response = await fetch(FEED + query(picked));
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    main.innerHTML = `<div class="error" role="alert">${esc(problem.message || response.status)}</div>`;
    return;
  }
  const feed = await response.json();
  const authorities = feed.authorities.map((a) => `<option value="${esc(a.authority_id)}"${
    a.authority_id === picked.authority_id ? " selected" : ""}>${esc(a.authority_name)}</option>`).join("");
  const places = PLACE_TYPES.map((p) => `<option value="${p}"${p === picked.place_type ? " selected" : ""}>${word(p)}</option>`).join("");
  main.innerHTML = `
    <h1>${esc(t("Public register of recommendations"))}</h1>
    <p>${esc(t("The recommendations the National Preventive Mechanism has made public, where each stands, and what the authorities answered."))}</p>
    <form class="filters" id="filters">
      <label>${esc(t("Authority"))} <select name="authority_id"><option value="">${esc(pt("authority", "any"))}</option>${authorities}</select></label>
      <label>${esc(t("Theme"))} <input name="theme" maxlength="200" value="${esc(picked.theme)}"></label>
      <label>${esc(t("Place type"))} <select name="place_type"><option value="">${esc(pt("place type", "any"))}</option>${places}</select></label>
      <label>${esc(t("Year"))} <input name="year" type="number" min="1900" max="2200" value="${esc(picked.year)}"></label>
      <button type="submit">${esc(t("Filter"))}</button>
      <a href="${FEED}.csv${query(picked)}" download>${esc(t("Download as CSV"))}</a>
    </form>
    <p class="muted">${esc(tn("{count} published recommendation", "{count} published recommendations", feed.items.length))}</p>
    ${feed.items.length ? feed.items.map(card).join("") : `<p class="muted">${esc(t("No published recommendation matches these filters."))}</p>`}`;
  document.getElementById("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const next = Object.fromEntries(FILTERS.map((name) => [name, String(data.get(name) || "").trim()]));
    history.pushState(null, "", `${location.pathname}${query(next)}`);
    render();
  });
}

function card(item) {
  const where = item.place_name
    ? t("To {authority}, about {place} ({type})", { authority: item.authority_name, place: item.place_name, type: WORDS()[item.place_type] || item.place_type || "" })
    : t("To {authority}", { authority: item.authority_name });
  const due = item.reply_due && item.status === "issued"
    ? ` · ${esc(t("reply due {date}", { date: formatDate(item.reply_due) }))}` : "";
  const responses = (item.responses || []).map((r) => `
      <li><b>${esc(t("Reply of {date}: {position}", { date: formatDate(r.received_on), position: r.position ? WORDS()[r.position] || r.position : t("no position yet") }))}</b>
        ${r.agreed_implementation_date ? `<span class="muted">(${esc(t("to be implemented by {date}", { date: formatDate(r.agreed_implementation_date) }))})</span>` : ""}
        <br>${esc(r.text)}</li>`).join("");
  const implementation = item.implementation
    ? `<p>${esc(t("Implementation: {status}", { status: WORDS()[item.implementation] || item.implementation }))}${
      item.verified ? ` · ${esc(t("verified by the NPM"))}` : ""}</p>` : "";
  return `<article class="card" data-recommendation="${esc(item.recommendation_id)}">
    <p><b>${esc(item.reference || "")}</b> ${word(item.kind)} <span class="badge ${esc(item.status)}">${word(item.status)}</span></p>
    <p>${esc(item.text)}</p>
    <p class="muted">${esc(where)} · ${esc(t("issued {date}", { date: formatDate(item.issued_on) }))}${due}${
      item.report_title ? ` · ${esc(t("in the report “{title}”", { title: item.report_title }))}` : ""}</p>
    ${originSentences(item).length ? `<p class="muted origin">${originSentences(item).map(esc).join(" ")}</p>` : ""}
    ${responses ? `<ul class="responses">${responses}</ul>` : `<p class="muted">${esc(t("No reply published yet."))}</p>`}
    ${implementation}
  </article>`;
}

window.addEventListener("popstate", render);
loadLanguage(chosenLanguage()).then(() => {
  document.getElementById("language-slot").append(languagePicker(render));
  render();
});
