// Letters to the authority, on a recommendation's page and on a report's page: each letter
// as a sentence (what, when, in which language, written by whom), its PDF and DOCX to
// download; and, for staff, a form to write one by hand (GenerateLetter, POST /letters).
import { api, can, esc, errorBox, flash, route, submitting, token } from "./core.js";
import { LANGUAGES, formatDate, languageName, t } from "./i18n.js";

const KIND_WORDS = () => ({
  transmittal: t("Transmittal of the report"),
  reminder: t("Reminder before the reply is due"),
  deadline_missed: t("Reply deadline missed"),
  escalation: t("Escalation"),
  implementation_overdue: t("Implementation overdue"),
});

function describe(letter) {
  const kind = KIND_WORDS()[letter.kind] || letter.kind;
  const what = letter.level ? t("{kind}, level {level}", { kind, level: letter.level }) : kind;
  return t("{what}, dated {date}, in {language}, to {authority}, written by {who}.", {
    what,
    date: formatDate(letter.dated),
    language: languageName(letter.language),
    authority: letter.authority_name,
    who: letter.written_by,
  });
}

function row(letter) {
  const files = letter.documents.map((doc) => `<button type="button" class="secondary download"
      data-sha="${esc(doc.sha256)}" data-name="${esc(doc.filename)}">${esc(doc.media_type === "application/pdf" ? "PDF" : "DOCX")}</button>`).join(" ");
  const due = letter.due_on ? ` <span class="muted">${esc(t("Reply due {date}", { date: formatDate(letter.due_on) }))}</span>` : "";
  return `<li class="letter">${esc(describe(letter))}${due} ${files}</li>`;
}

// The form: the kinds this page may write (a transmittal only where there is a report),
// the ladder's levels for an escalation, the language (default: the authority's).
function form(options) {
  const kinds = Object.entries(KIND_WORDS())
    .filter(([kind]) => (options.kinds || [kind]).includes(kind))
    .filter(([kind]) => kind !== "transmittal" || options.reportId)
    .map(([kind, label]) => `<option value="${kind}">${esc(label)}</option>`).join("");
  const levels = (options.ladder || []).map((level, i) =>
    `<option value="${i + 1}">${esc(t("Level {level}: {action} to {addressee}", { level: i + 1, action: level.action, addressee: level.addressee }))}</option>`).join("");
  const languages = [`<option value="">${esc(t("the authority's language"))}</option>`,
    ...Object.entries(LANGUAGES).map(([code, name]) => `<option value="${code}">${esc(name)}</option>`)].join("");
  return `<details><summary>${esc(t("Write a letter"))}</summary>
    <form class="card" id="letter-form" data-key="${crypto.randomUUID()}">
      <label>${esc(t("Kind"))} <select name="kind">${kinds}</select></label>
      ${(options.authorities || []).length ? `<label>${esc(t("To"))} <select name="authority_id">${options.authorities.map((a) =>
        `<option value="${esc(a.id)}">${esc(a.name)}</option>`).join("")}</select></label>` : ""}
      ${levels ? `<label>${esc(t("Escalation level"))} <select name="level">${levels}</select></label>` : ""}
      <label>${esc(t("Language"))} <select name="language">${languages}</select></label>
      <div><button type="submit">${esc(t("Write the letter"))}</button></div>
      <div class="problem"></div>
    </form></details>`;
}

// Shows the letters of `listPath` (…/letters) in `slot`; `options` for the form: kinds,
// reportId, recommendationIds, authorityId or authorities ({id, name}) to choose from,
// ladder (the authority's levels).
export async function showLetters(slot, listPath, options = {}) {
  let letters;
  try {
    letters = (await api("GET", listPath)).items;
  } catch (error) {
    slot.innerHTML = errorBox(error);
    return;
  }
  slot.innerHTML = `<h2>${esc(t("Letters to the authority"))}</h2>
    ${letters.length ? `<ul class="letters">${letters.map(row).join("")}</ul>`
      : `<p class="muted">${esc(t("No letter yet."))}</p>`}
    ${can("draft") ? form(options) : ""}`;
  for (const button of slot.querySelectorAll("button.download")) {
    button.addEventListener("click", () => download(`${listPath}/${button.dataset.sha}`, button.dataset.name));
  }
  const writing = slot.querySelector("#letter-form");
  if (writing) writing.addEventListener("submit", (event) => write(event, writing, options));
}

function write(event, writing, options) {
  event.preventDefault();
  const data = new FormData(writing);
  const kind = data.get("kind");
  const body = { kind };
  if (options.reportId) body.report_id = options.reportId;
  if (kind === "transmittal") body.authority_id = data.get("authority_id") || options.authorityId;
  if (kind !== "transmittal" || (options.recommendationIds || []).length > 1) {
    body.recommendation_ids = options.recommendationIds || [];
  }
  if (kind === "escalation" && data.get("level")) body.level = Number(data.get("level"));
  if (data.get("language")) body.language = data.get("language");
  submitting(writing, async () => {
    await api("POST", "/letters", { body, key: writing.dataset.key });
    await route();
    flash(t("The letter was written."));
  });
}

// A download needs the bearer token, so it is fetched and handed to the browser as a file.
async function download(path, filename) {
  const response = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    flash(t("The letter could not be downloaded."));
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
