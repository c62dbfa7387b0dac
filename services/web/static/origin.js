// Where a recommendation comes from, in sentences: its source (the NPM, a treaty body, the
// UPR...), cycle and session, the recommending bodies, the SDGs it serves, its id in the
// source; and, for a historic record, where it stood when it was imported.
import { esc, state } from "./core.js";
import { formatDate, language, t } from "./i18n.js";

// The sources' names as people write them (domain/origin.py Source).
const SOURCES = () => ({
  npm: t("National Preventive Mechanism (NPM)"),
  spt: t("Subcommittee on Prevention of Torture (SPT)"),
  cpt: t("European Committee for the Prevention of Torture (CPT)"),
  cat: t("Committee against Torture (CAT)"),
  ccpr: t("Human Rights Committee (CCPR)"),
  cescr: t("Committee on Economic, Social and Cultural Rights (CESCR)"),
  cedaw: t("Committee on the Elimination of Discrimination against Women (CEDAW)"),
  crc: t("Committee on the Rights of the Child (CRC)"),
  cerd: t("Committee on the Elimination of Racial Discrimination (CERD)"),
  cmw: t("Committee on Migrant Workers (CMW)"),
  crpd: t("Committee on the Rights of Persons with Disabilities (CRPD)"),
  ced: t("Committee on Enforced Disappearances (CED)"),
  upr: t("Universal Periodic Review (UPR)"),
  special_procedures: t("Special procedures of the Human Rights Council"),
  inspectorate: t("Inspectorate"),
  accident_investigation: t("Accident investigation"),
  other: t("Other body"),
});

export function sourceName(source) {
  return SOURCES()[source] || String(source || "");
}

// A pick-list of the sources by their names (the values from the OpenAPI document).
export function sourceOptions(selected = "", blank = "") {
  const values = (state.schemas && state.schemas.Source && state.schemas.Source.enum) || [];
  return `<option value="">${esc(blank)}</option>` + values.map((v) => (
    `<option value="${esc(v)}"${v === selected ? " selected" : ""}>${esc(sourceName(v))}</option>`)).join("");
}

function listed(names) {
  return new Intl.ListFormat(language(), { type: "conjunction" }).format(names);
}

// The sentences about a recommendation's origin (fields a liaison's answer also holds).
export function originSentences(rec) {
  const said = [];
  if (rec.source) said.push(t("Source: {source}.", { source: sourceName(rec.source) }));
  if (rec.cycle) said.push(t("Cycle: {cycle}.", { cycle: rec.cycle }));
  if (rec.session) said.push(t("Session: {session}.", { session: rec.session }));
  if ((rec.recommending_bodies || []).length) {
    said.push(t("Recommended by {names}.", { names: listed(rec.recommending_bodies) }));
  }
  if ((rec.sdgs || []).length) {
    said.push(t("Sustainable Development Goals: {sdgs}.", { sdgs: rec.sdgs.join(", ") }));
  }
  if (rec.external_id) said.push(t("Its id in the source: {id}.", { id: rec.external_id }));
  return said;
}

// Where a historic record stood at its import, and that nothing is sent for past dates.
export function historicSentences(rec) {
  if (!rec.historic_before) return [];
  const imported = formatDate(rec.historic_before);
  if (!rec.historic) return [t("Imported on {imported}.", { imported })];
  const said = rec.status === "issued"
    ? t("A historic record, imported on {imported}: its reply was due on {due} and none had been recorded by then.",
      { imported, due: formatDate(rec.reply_due) })
    : t("A historic record, imported on {imported}: its implementation was agreed for {due}.",
      { imported, due: formatDate(rec.agreed_implementation_date) });
  return [said, t("No reminder or escalation is sent for dates before the import.")];
}

export function originSection(rec) {
  const origin = originSentences(rec);
  const historic = historicSentences(rec);
  const lines = origin.length ? origin : [t("Where it comes from is not recorded.")];
  return `<h2>${esc(t("Origin"))}</h2><div class="card origin">
    <p>${lines.map(esc).join(" ")}</p>
    ${historic.length ? `<p class="historic">${historic.map(esc).join(" ")}</p>` : ""}</div>`;
}
