// Evidence documents on a recommendation's page (issue #14): the documents attached to
// its responses, follow-ups and assessment, each as a row people read (its name, type,
// size, what it supports, who attached it and when) with a download; and a form to attach
// one, showing the server's rules (types, size) before anything is sent. The server says
// which documents a user sees (a liaison: its own authority's responses' only) and judges
// the type by the bytes; a refusal is shown as a sentence naming the rule it broke.
import { ApiFailure, api, can, esc, errorBox, flash, route, submitting } from "./core.js";
import { downloadFile } from "./download.js";
import { formatDate, formatNumber, language, t } from "./i18n.js";

// The allowed types as people call them (the server's allow-list, domain/attachments.py).
const TYPE_WORDS = () => ({
  "application/pdf": t("PDF document"),
  "image/png": t("PNG image"),
  "image/jpeg": t("JPEG image"),
  "image/gif": t("GIF image"),
  "image/webp": t("WebP image"),
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": t("Word document (DOCX)"),
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": t("Excel workbook (XLSX)"),
  "application/vnd.oasis.opendocument.text": t("OpenDocument text (ODT)"),
});
// What the file picker offers: the same types by their usual endings.
const ACCEPT = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.docx,.xlsx,.odt";

const typeWord = (mediaType) => TYPE_WORDS()[mediaType] || mediaType;

// A size as the reader's locale writes it: bytes, kB or MB.
export function formatSize(bytes) {
  const [unit, value] = bytes >= 1024 * 1024 ? ["megabyte", bytes / (1024 * 1024)]
    : bytes >= 1024 ? ["kilobyte", bytes / 1024] : ["byte", bytes];
  try {
    // "82 bytes" in full ("82 byte" is the short form), "1.5 kB" and "2 MB" short
    return new Intl.NumberFormat(language(), { style: "unit", unit, unitDisplay: unit === "byte" ? "long" : "short",
      maximumFractionDigits: unit === "byte" ? 0 : 1 }).format(value);
  } catch {
    return `${formatNumber(Math.round(value))} ${unit}`;
  }
}

// What a document is evidence for, in words: "response 1 (received 3 Mar 2030)".
function supported(rec, doc) {
  if (doc.supports === "assessment") return t("the implementation assessment");
  if (doc.supports === "follow_up") {
    const followUp = (rec.follow_ups || [])[doc.index];
    return t("follow-up {number} ({date})", { number: formatNumber(doc.index + 1),
      date: followUp ? formatDate(followUp.on) : "—" });
  }
  const response = (rec.responses || [])[doc.index];
  return t("response {number} (received {date})", { number: formatNumber(doc.index + 1),
    date: response ? formatDate(response.received_on) : "—" });
}

function row(rec, doc) {
  const when = formatDate(doc.attached_on || String(doc.attached_at).slice(0, 10));
  const who = doc.attached_by || t("the NPM");
  return `<tr>
    <td><b>${esc(doc.filename)}</b></td>
    <td>${esc(typeWord(doc.media_type))}</td>
    <td class="number">${esc(formatSize(doc.size))}</td>
    <td>${esc(supported(rec, doc))}</td>
    <td>${esc(t("by {who} on {date}", { who, date: when }))}</td>
    <td><button type="button" class="secondary download" data-sha="${esc(doc.sha256)}"
      data-name="${esc(doc.filename)}">${esc(t("Download"))}</button></td></tr>`;
}

// The parts of the record this user may attach a document to: a liaison its authority's
// responses only (the server holds the same rule); staff follow-ups and the assessment too.
function targets(rec) {
  const staff = can("draft");
  const choices = (rec.responses || []).map((r, i) => [`response:${i}`,
    t("Response {number}, received {date}", { number: formatNumber(i + 1), date: formatDate(r.received_on) })]);
  if (staff) {
    (rec.follow_ups || []).forEach((f, i) => choices.push([`follow_up:${i}`,
      t("Follow-up {number} of {date}: {summary}", { number: formatNumber(i + 1), date: formatDate(f.on), summary: f.summary })]));
    if (rec.implementation) choices.push(["assessment:", t("The implementation assessment")]);
  }
  return choices;
}

function rules(list) {
  return t("Accepted: PDF, images (PNG, JPEG, GIF, WebP), Word (DOCX), Excel (XLSX) and OpenDocument text (ODT), up to {size} each. The type is judged by the file's contents, not its name.",
    { size: formatSize(list.max_bytes) });
}

function form(rec, list) {
  const choices = targets(rec);
  if (!can("attach_evidence") || !rec.allowed_actions.includes("attach_evidence") || !choices.length) return "";
  return `<details${list.items.length ? "" : " open"}><summary>${esc(t("Attach a document"))}</summary>
    <form class="card" id="evidence-form" data-key="${crypto.randomUUID()}">
      <p class="muted" id="evidence-rules">${esc(rules(list))}</p>
      <label>${esc(t("Evidence for"))} <select name="target">${choices.map(([value, label]) =>
        `<option value="${esc(value)}">${esc(label)}</option>`).join("")}</select></label>
      <label>${esc(t("Document"))} <input type="file" name="document" accept="${ACCEPT}" required></label>
      <div><button type="submit">${esc(t("Attach the document"))}</button></div>
      <div class="problem"></div>
    </form></details>`;
}

// Why the server refused a document, as a sentence naming the rule it broke.
function refusal(error, name, list) {
  if (error.status === 413) {
    return t("{name} was not attached: it is larger than the limit of {size}.", { name, size: formatSize(list.max_bytes) });
  }
  if (error.status === 422 && error.body.field === "body") {
    return t("{name} was not attached: its contents are not one of the accepted types (PDF, PNG, JPEG, GIF, WebP, DOCX, XLSX, ODT).", { name });
  }
  return t("{name} was not attached: {reason}", { name, reason: error.message });
}

async function attach(event, rec, list) {
  event.preventDefault();
  const attaching = event.target;
  const data = new FormData(attaching);
  const file = data.get("document");
  const problem = attaching.querySelector(".problem");
  if (!(file instanceof File) || !file.name) return;
  if (file.size > list.max_bytes) {
    // said at once, rather than after sending the whole file to be refused
    problem.innerHTML = `<div class="error" role="alert">${esc(refusal({ status: 413, body: {} }, file.name, list))}</div>`;
    return;
  }
  const [supports, index] = String(data.get("target")).split(":");
  const params = new URLSearchParams({ supports, filename: file.name });
  if (index !== "") params.set("index", index);
  await submitting(attaching, async () => {
    try {
      await api("POST", `/recommendations/${rec.id}/evidence?${params}`,
        { file, key: attaching.dataset.key, version: rec.version });
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      throw new ApiFailure(error.status, { ...error.body, message: refusal(error, file.name, list), problems: [] });
    }
    await route();
    flash(t("{name} is attached.", { name: file.name }));
  });
}

// Shows the recommendation's evidence documents in `slot`, with the form to attach one.
export async function showEvidence(slot, rec) {
  let list;
  try {
    list = await api("GET", `/recommendations/${rec.id}/evidence`);
  } catch (error) {
    slot.innerHTML = errorBox(error);
    return;
  }
  const attaching = form(rec, list);
  if (!list.items.length && !attaching) {
    slot.innerHTML = "";
    return;
  }
  const intro = can("read_all") ? "" : `<p class="muted">${esc(t("The documents attached to your authority's responses, by your authority or by the NPM."))}</p>`;
  slot.innerHTML = `<h2>${esc(t("Evidence documents"))}</h2>${intro}
    ${list.items.length ? `<table class="evidence"><thead><tr><th>${esc(t("Document"))}</th><th>${esc(t("Type"))}</th>
      <th>${esc(t("Size"))}</th><th>${esc(t("Evidence for"))}</th><th>${esc(t("Attached"))}</th><th></th></tr></thead>
      <tbody>${list.items.map((doc) => row(rec, doc)).join("")}</tbody></table>`
      : `<p class="muted">${esc(t("No document attached yet."))}</p>`}
    ${attaching}`;
  for (const button of slot.querySelectorAll("button.download")) {
    button.addEventListener("click", async () => {
      try {
        await downloadFile(`/recommendations/${rec.id}/evidence/${button.dataset.sha}`, button.dataset.name);
      } catch (error) {
        if (!(error instanceof ApiFailure)) throw error;
        flash(t("{name} could not be downloaded: {reason}", { name: button.dataset.name, reason: error.message }));
      }
    });
  }
  const evidenceForm = slot.querySelector("#evidence-form");
  if (evidenceForm) evidenceForm.addEventListener("submit", (event) => attach(event, rec, list));
}
