// The actions a recommendation's page offers (the ACTIONS table) and building and reading their forms.
import { can, esc, options, state, today, words } from "./core.js";
import { t } from "./i18n.js";
import { sourceOptions } from "./origin.js";

// One form per action the domain allows from the current status (allowed_actions), shown
// only to a user whose roles hold the ability the endpoint requires. An action with
// `confirm` (the final ones) asks before it is sent.
// A function, so the labels are looked up in the language chosen when the page is drawn.
export const actions = () => ({
  record_review: { path: "reviews", ability: "draft", title: t("Record the Double-SMART review"),
    fields: [["criteria", "", "criteria"], ["reason", t("Notes"), "textarea"]] },
  issue: { path: "issue", ability: "draft", title: t("Issue"), fields: [["issued_on", t("Issued on"), "date", true, "today"]] },
  record_response: { path: "responses", ability: "respond", title: t("Record the authority's response"), fields: [
    ["received_on", t("Received on"), "date", true, "today"],
    ["position", t("Position (leave empty while the authority has taken none)"), "enum:Position"],
    ["text", t("What the authority said"), "textarea", true], ["agreed_implementation_date", t("Agreed implementation date"), "date"]] },
  extend_reply_deadline: { path: "deadline-extensions", ability: "extend", title: t("Extend the reply deadline"), fields: [
    ["new_due", t("New due date"), "date", true], ["reason", t("Why"), "textarea"]] },
  record_follow_up: { path: "follow-ups", ability: "draft", title: t("Record a follow-up"), fields: [
    ["kind", t("Kind"), "enum:FollowUpKind", true], ["summary", t("Summary"), "textarea", true], ["happened_on", t("On"), "date", false, "today"]] },
  assess_implementation: { path: "assessments", ability: "draft", title: t("Assess implementation"), fields: [
    ["status", t("Implementation"), "enum:ImplementationStatus", true],
    ["non_implementation_reason", t("If not implemented, why"), "enum:NonImplementationReason"],
    ["verified", t("Verified by the NPM"), "checkbox"], ["verification_method", t("How it was verified"), "text"],
    ["assessed_on", t("Assessed on"), "date", false, "today"]] },
  verify_implementation: { path: "verifications", ability: "draft", title: t("Record a verification"), fields: [
    ["method", t("How it was verified"), "text", true], ["verified_on", t("Verified on"), "date", false, "today"]] },
  withdraw: { path: "withdrawal", ability: "end", title: t("Withdraw"), fields: [["reason", t("Why (required)"), "textarea", true]],
    confirm: t("Withdraw this recommendation? It is final: nothing more can be recorded on it, and the reason stays in its history.") },
  close: { path: "closure", ability: "end", title: t("Close"), fields: [["reason", t("Why (required)"), "textarea", true]],
    confirm: t("Close this recommendation? It is final: nothing more can be recorded on it, and the reason stays in its history.") },
  record_origin: { path: "origin", ability: "draft", title: t("Change the origin"), fields: [
    ["source", t("Source"), "enum:Source"], ["recommending_bodies", t("Recommending bodies (separated by ;)"), "list"],
    ["cycle", t("Cycle"), "text"], ["session", t("Session"), "text"],
    ["sdgs", t("SDG goals and targets (e.g. 16; 16.3)"), "list"], ["external_id", t("Id in the source"), "text"]] },
  add_comment: { path: "comments", ability: "draft", title: t("Add an internal comment"), fields: [["text", t("Comment (never shown outside the NPM)"), "textarea", true]] },
  publish: { path: "publication", ability: "publish", title: t("Publish in the public register"), fields: [],
    confirm: t("Publish this recommendation? Anyone can then read its text, status and the authority's responses in the public register.") },
});

// The Double-SMART checklist: the criteria's names come from the OpenAPI document.
function criteriaNames() {
  const criteria = state.schemas.RecordReview.properties.criteria;
  return (criteria.propertyNames && criteria.propertyNames.enum) || [];
}

function field([name, label, kind, required, initial]) {
  const req = required ? " required" : "";
  if (kind === "criteria") {
    return `<fieldset><legend class="muted">${esc(t("Tick each criterion the wording meets"))}</legend>${
      criteriaNames().map((c) => `<label class="check"><input type="checkbox" name="criterion" value="${esc(c)}"> ${words(c)}</label>`).join("")}</fieldset>`;
  }
  const value = initial === "today" ? today() : "";
  if (kind === "textarea") return `<label>${esc(label)}<textarea name="${name}"${req}></textarea></label>`;
  if (kind === "list") return `<label>${esc(label)}<input name="${name}" type="text"${req}></label>`;
  if (kind === "checkbox") return `<label class="check"><input type="checkbox" name="${name}" value="true"> ${esc(label)}</label>`;
  if (kind === "enum:Source") return `<label>${esc(label)}<select name="${name}"${req}>${sourceOptions("", "—")}</select></label>`;
  if (kind.startsWith("enum:")) {
    return `<label>${esc(label)}<select name="${name}"${req}>${options(kind.slice(5), "", required ? t("choose…") : "—")}</select></label>`;
  }
  return `<label>${esc(label)}<input name="${name}" type="${kind}" value="${value}"${req}></label>`;
}

export function actionForms(rec) {
  const ACTIONS = actions();
  const shown = rec.allowed_actions.filter((a) => ACTIONS[a] && can(ACTIONS[a].ability)
    && !(a === "publish" && rec.published_on));
  if (!shown.length) return "";
  return `<h2>${esc(t("Actions"))}</h2><div class="actions">${shown.map((name) => `
    <form class="card" data-action="${name}" data-key="${crypto.randomUUID()}">
      <h3>${esc(ACTIONS[name].title)}</h3>
      ${ACTIONS[name].fields.map(field).join("")}
      <div><button type="submit">${esc(ACTIONS[name].title)}</button></div>
      <div class="problem"></div>
    </form>`).join("")}</div>`;
}

export function formBody(form, spec) {
  const data = new FormData(form);
  const body = {};
  for (const [name, , kind] of spec.fields) {
    if (kind === "criteria") {
      const met = new Set(data.getAll("criterion"));
      body.criteria = Object.fromEntries(criteriaNames().map((c) => [c, met.has(c)]));
    } else if (kind === "checkbox") body[name] = data.get(name) === "true";
    else if (kind === "list") {
      // only a list given changes; "-" clears it
      const given = String(data.get(name) || "").trim();
      if (given) body[name] = given === "-" ? [] : given.split(";").map((s) => s.trim()).filter(Boolean);
    }
    else if (data.get(name)) body[name] = data.get(name);
  }
  return body;
}
