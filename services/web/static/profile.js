// Your own e-mail: the address your digest goes to (the daily digest of your tasks, or the
// weekly one for compliance staff) and the language it is written in (PUT /me/contact).
import { api, esc, flash, main, route, state, submitting } from "./core.js";
import { LANGUAGES, t } from "./i18n.js";

export async function profilePage() {
  state.me = await api("GET", "/me");
  const me = state.me;
  const choices = Object.entries(LANGUAGES).map(([code, name]) =>
    `<option value="${code}"${code === me.language ? " selected" : ""}>${esc(name)}</option>`).join("");
  main().innerHTML = `
    <h1>${esc(t("Your e-mail"))}</h1>
    <p>${esc(t("Your digest of due and overdue tasks goes to this address, in this language. Leave the address empty for no e-mail."))}</p>
    <form class="card" id="profile-form">
      <label>${esc(t("E-mail"))}<input name="email" type="email" value="${esc(me.email || "")}"
        placeholder="name@example.org"></label>
      <label>${esc(t("Your e-mail is written in"))}<select name="language">${choices}</select></label>
      <div><button type="submit">${esc(t("Save"))}</button></div>
      <div class="problem"></div>
    </form>`;
  const form = document.getElementById("profile-form");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const data = new FormData(form);
      const email = String(data.get("email") || "").trim();
      await api("PUT", "/me/contact", { body: { email: email || null, language: data.get("language") } });
      flash(email ? t("Your e-mail goes to {email}.").replace("{email}", email) : t("You get no e-mail."));
      await route();
    });
  });
}
