// The drafting page: a new recommendation, kept as a draft or issued at once.
import { t } from "./i18n.js";
import { api, authorities, can, current, esc, flash, main, options, schemas, state, submitting, words } from "./core.js";

export async function draftPage() {
  if (!can("draft")) {
    main().innerHTML = `<p class="muted">${esc(t("Your roles do not include drafting recommendations."))}</p>`;
    return;
  }
  const live = current();
  await schemas();
  const [all, places, reports] = await Promise.all([
    authorities(), api("GET", "/places"), api("GET", "/reports")]);
  if (!live()) return;
  main().innerHTML = `
    <h1>${esc(t("Draft a recommendation"))}</h1>
    <form class="card" id="draft" data-key="${crypto.randomUUID()}">
      <label>${esc(t("Kind"))} <select name="kind" required>${options("RecommendationKind", "visit", null)}</select></label>
      <label>${esc(t("Recommendation"))} <textarea name="text" required></textarea></label>
      <label>${esc(t("Addressed to"))} <select name="authority_id" required><option value="">${esc(t("choose…"))}</option>${
        all.map((a) => `<option value="${esc(a.authority_id)}">${esc(a.name)}</option>`).join("")}</select></label>
      <label>${esc(t("Place"))} <select name="place_id"><option value="">—</option>${
        places.items.map((p) => `<option value="${esc(p.place_id)}">${esc(p.name)} (${words(p.place_type)})</option>`).join("")}</select></label>
      <label>${esc(t("In the report (its reply obligation covers it)"))} <select name="report_id"><option value="">—</option>${
        reports.items.map((r) => `<option value="${esc(r.report_id)}">${esc(r.title)}</option>`).join("")}</select></label>
      <label>${esc(t("Themes (separated by commas)"))} <input name="themes"></label>
      <label>${esc(t("Issue it on (leave empty to keep it as a draft for review)"))} <input type="date" name="issued_on"></label>
      <div><button type="submit">${esc(t("Save"))}</button></div>
      <div class="problem"></div>
    </form>`;
  const form = document.getElementById("draft");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { kind: data.get("kind"), text: data.get("text"), authority_id: data.get("authority_id") };
    if (data.get("place_id")) body.place_id = data.get("place_id");
    if (data.get("report_id")) body.report_id = data.get("report_id");
    if (data.get("issued_on")) body.issued_on = data.get("issued_on");
    const themes = String(data.get("themes") || "").split(",").map((theme) => theme.trim()).filter(Boolean);
    if (themes.length) body.tags = { themes };
    await submitting(form, async () => {
      const made = await api("POST", "/recommendations?wait=true", { body, key: form.dataset.key });
      state.authorities = null; // its count of recommendations changed
      flash(body.issued_on ? t("Recommendation issued.") : t("Draft saved."));
      location.hash = `#/recommendations/${made.id}`;
    });
  });
}
