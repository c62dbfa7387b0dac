// The actions a recommendation's page offers (the ACTIONS table) and building and reading their forms.
import { can, esc, options, state, today, words } from "./core.js";

// One form per action the domain allows from the current status (allowed_actions), shown
// only to a user whose roles hold the ability the endpoint requires. An action with
// `confirm` (the final ones) asks before it is sent.
export const ACTIONS = {
  record_review: { path: "reviews", ability: "draft", title: "Record the Double-SMART review",
    fields: [["criteria", "", "criteria"], ["reason", "Notes", "textarea"]] },
  issue: { path: "issue", ability: "draft", title: "Issue", fields: [["issued_on", "Issued on", "date", true, "today"]] },
  record_response: { path: "responses", ability: "respond", title: "Record the authority's response", fields: [
    ["received_on", "Received on", "date", true, "today"],
    ["position", "Position (leave empty while the authority has taken none)", "enum:Position"],
    ["text", "What the authority said", "textarea", true], ["agreed_implementation_date", "Agreed implementation date", "date"]] },
  extend_reply_deadline: { path: "deadline-extensions", ability: "extend", title: "Extend the reply deadline", fields: [
    ["new_due", "New due date", "date", true], ["reason", "Why", "textarea"]] },
  record_follow_up: { path: "follow-ups", ability: "draft", title: "Record a follow-up", fields: [
    ["kind", "Kind", "enum:FollowUpKind", true], ["summary", "Summary", "textarea", true], ["happened_on", "On", "date", false, "today"]] },
  assess_implementation: { path: "assessments", ability: "draft", title: "Assess implementation", fields: [
    ["status", "Implementation", "enum:ImplementationStatus", true],
    ["non_implementation_reason", "If not implemented, why", "enum:NonImplementationReason"],
    ["verified", "Verified by the NPM", "checkbox"], ["verification_method", "How it was verified", "text"],
    ["assessed_on", "Assessed on", "date", false, "today"]] },
  verify_implementation: { path: "verifications", ability: "draft", title: "Record a verification", fields: [
    ["method", "How it was verified", "text", true], ["verified_on", "Verified on", "date", false, "today"]] },
  withdraw: { path: "withdrawal", ability: "end", title: "Withdraw", fields: [["reason", "Why (required)", "textarea", true]],
    confirm: "Withdraw this recommendation? It is final: nothing more can be recorded on it, and the reason stays in its history." },
  close: { path: "closure", ability: "end", title: "Close", fields: [["reason", "Why (required)", "textarea", true]],
    confirm: "Close this recommendation? It is final: nothing more can be recorded on it, and the reason stays in its history." },
  record_origin: { path: "origin", ability: "draft", title: "Change the origin", fields: [
    ["source", "Source", "enum:Source"], ["recommending_bodies", "Recommending bodies (separated by ;)", "list"],
    ["cycle", "Cycle", "text"], ["session", "Session", "text"],
    ["sdgs", "SDG goals and targets (e.g. 16; 16.3)", "list"], ["external_id", "Id in the source", "text"]] },
  add_comment: { path: "comments", ability: "draft", title: "Add an internal comment", fields: [["text", "Comment (never shown outside the NPM)", "textarea", true]] },
  publish: { path: "publication", ability: "publish", title: "Publish in the public register", fields: [],
    confirm: "Publish this recommendation? Anyone can then read its text, status and the authority's responses in the public register." },
};

// The Double-SMART checklist: the criteria's names come from the OpenAPI document.
function criteriaNames() {
  const criteria = state.schemas.RecordReview.properties.criteria;
  return (criteria.propertyNames && criteria.propertyNames.enum) || [];
}

function field([name, label, kind, required, initial]) {
  const req = required ? " required" : "";
  if (kind === "criteria") {
    return `<fieldset><legend class="muted">Tick each criterion the wording meets</legend>${
      criteriaNames().map((c) => `<label class="check"><input type="checkbox" name="criterion" value="${esc(c)}"> ${words(c)}</label>`).join("")}</fieldset>`;
  }
  const value = initial === "today" ? today() : "";
  if (kind === "textarea") return `<label>${esc(label)}<textarea name="${name}"${req}></textarea></label>`;
  if (kind === "list") return `<label>${esc(label)}<input name="${name}" type="text"${req}></label>`;
  if (kind === "checkbox") return `<label class="check"><input type="checkbox" name="${name}" value="true"> ${esc(label)}</label>`;
  if (kind.startsWith("enum:")) {
    return `<label>${esc(label)}<select name="${name}"${req}>${options(kind.slice(5), "", required ? "choose…" : "—")}</select></label>`;
  }
  return `<label>${esc(label)}<input name="${name}" type="${kind}" value="${value}"${req}></label>`;
}

export function actionForms(rec) {
  const shown = rec.allowed_actions.filter((a) => ACTIONS[a] && can(ACTIONS[a].ability)
    && !(a === "publish" && rec.published_on));
  if (!shown.length) return "";
  return `<h2>Actions</h2><div class="actions">${shown.map((name) => `
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
