// An authority's contact details on its page: where its letters and e-mails go and the
// language they are written in; staff who register authorities can change them.
import { api, can, esc, flash, route, submitting } from "./core.js";
import { LANGUAGES, t } from "./i18n.js";

export function contactSection(authority) {
  const contact = authority.contact || {};
  const lines = (contact.postal_address || "").split("\n").filter(Boolean);
  const shown = `<dl class="contact">
    <dt>${esc(t("E-mail"))}</dt><dd>${contact.email ? `<a href="mailto:${esc(contact.email)}">${esc(contact.email)}</a>` : `<span class="muted">${esc(t("none recorded"))}</span>`}</dd>
    <dt>${esc(t("Postal address"))}</dt><dd>${lines.length ? lines.map(esc).join("<br>") : `<span class="muted">${esc(t("none recorded"))}</span>`}</dd>
    <dt>${esc(t("Letters are written in"))}</dt><dd>${esc(LANGUAGES[contact.language] || contact.language || "English")}</dd>
  </dl>`;
  if (!can("register")) return `<h2>${esc(t("Contact"))}</h2>${shown}`;
  const choices = Object.entries(LANGUAGES).map(([code, name]) =>
    `<option value="${code}"${code === contact.language ? " selected" : ""}>${esc(name)}</option>`).join("");
  return `<h2>${esc(t("Contact"))}</h2>${shown}
    <details><summary>${esc(t("Change the contact details"))}</summary>
    <form class="card" id="contact-form" data-version="${esc(authority.version)}">
      <label>${esc(t("E-mail"))}<input name="email" type="email" value="${esc(contact.email || "")}"></label>
      <label>${esc(t("Postal address"))}<textarea name="postal_address" rows="5">${esc(contact.postal_address || "")}</textarea></label>
      <label>${esc(t("Letters are written in"))}<select name="language">${choices}</select></label>
      <div><button type="submit">${esc(t("Save the contact details"))}</button></div>
      <div class="problem"></div>
    </form></details>`;
}

export function wireContact(authorityId) {
  const form = document.getElementById("contact-form");
  if (!form) return;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submitting(form, async () => {
      const data = new FormData(form);
      const body = { language: data.get("language") };
      if (data.get("email")) body.email = data.get("email");
      if (data.get("postal_address")) body.postal_address = data.get("postal_address");
      await api("PUT", `/authorities/${authorityId}/contact`, { body, version: form.dataset.version });
      flash(t("Contact details saved."));
      await route();
    });
  });
}
