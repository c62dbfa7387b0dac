// The registry page: registering authorities (with their escalation ladder), places and reports.
import { api, authorities, can, current, esc, flash, main, options, route, schemas, state, submitting, today, words } from "./core.js";
import { formatDate, formatNumber, t, tn } from "./i18n.js";

const LADDER_ROWS = 3;

export async function registryPage() {
  if (!can("register")) {
    main().innerHTML = `<p class="muted">${esc(t("Your roles do not include registering authorities, places or reports."))}</p>`;
    return;
  }
  const live = current();
  await schemas();
  state.authorities = null;
  const [all, places, reports] = await Promise.all([
    authorities(), api("GET", "/places"), api("GET", "/reports")]);
  if (!live()) return;
  const pick = (blank) => `<option value="">${esc(blank)}</option>${
    all.map((a) => `<option value="${esc(a.authority_id)}">${esc(a.name)}</option>`).join("")}`;
  const ladder = Array.from({ length: LADDER_ROWS }, (_, i) => `
    <div class="row">
      <label>${esc(t("Level {level}: action", { level: formatNumber(i + 1) }))} <input name="action${i}" placeholder="${i ? "" : esc(t("reminder letter"))}"></label>
      <label>${esc(t("to"))} <input name="addressee${i}" placeholder="${i ? "" : esc(t("head of institution"))}"></label>
      <label>${esc(t("wait (days)"))} <input name="wait${i}" type="number" min="1" max="3650" class="narrow"></label>
    </div>`).join("");
  main().innerHTML = `
    <h1>${esc(t("Registry"))}</h1>
    <div class="actions">
      <form class="card" id="report" data-key="${crypto.randomUUID()}">
        <h3>${esc(t("Register a report (and send it)"))}</h3>
        <label>${esc(t("Kind"))} <select name="kind" required>${options("ReportKind", "visit_report", null)}</select></label>
        <label>${esc(t("Title"))} <input name="title" required maxlength="500"></label>
        <label>${esc(t("Report date"))} <input name="report_date" type="date" value="${today()}" required></label>
        <label>${esc(t("Link"))} <input name="link" type="url" maxlength="2000"></label>
        <label>${esc(t("Sent to"))} <select name="authority_id">${pick(t("not sent yet"))}</select></label>
        <label>${esc(t("Sent on (the statutory reply period runs from here)"))} <input name="sent_on" type="date" value="${today()}"></label>
        <label>${esc(t("Received on (only where the authority's clock starts on receipt)"))} <input name="received_on" type="date"></label>
        <div><button type="submit">${esc(t("Register"))}</button></div>
        <div class="problem"></div>
      </form>
      <form class="card" id="place" data-key="${crypto.randomUUID()}">
        <h3>${esc(t("Register a place of detention"))}</h3>
        <label>${esc(t("Name"))} <input name="name" required maxlength="500"></label>
        <label>${esc(t("Type"))} <select name="place_type" required>${options("PlaceType", "", t("choose…"))}</select></label>
        <label>${esc(t("Region"))} <input name="region" maxlength="500"></label>
        <label>${esc(t("Responsible authority"))} <select name="authority_id" required>${pick(t("choose…"))}</select></label>
        <div><button type="submit">${esc(t("Register"))}</button></div>
        <div class="problem"></div>
      </form>
      <form class="card" id="authority" data-key="${crypto.randomUUID()}">
        <h3>${esc(t("Register an authority"))}</h3>
        <label>${esc(t("Name"))} <input name="name" required maxlength="500"></label>
        <label>${esc(t("Kind"))} <input name="kind" required placeholder="${esc(t("ministry, agency, institution…"))}"></label>
        <label>${esc(t("Jurisdiction (country code)"))} <input name="jurisdiction" required pattern="[A-Z]{2}" maxlength="2" class="narrow"></label>
        <label>${esc(t("Reply period (days)"))} <input name="reply_period_days" type="number" min="1" max="3650" required class="narrow"></label>
        <label>${esc(t("Counted in"))} <select name="day_kind">${options("DayKind", "calendar", null)}</select></label>
        <label>${esc(t("Urgent reply period (days)"))} <input name="urgent_reply_period_days" type="number" min="1" max="3650" required class="narrow"></label>
        <p class="muted">${esc(t("Escalation ladder, when a reply is missed:"))}</p>
        ${ladder}
        <div><button type="submit">${esc(t("Register"))}</button></div>
        <div class="problem"></div>
      </form>
    </div>
    <h2>${esc(t("Reports"))}</h2>
    ${reportsTable(reports.items, all)}
    <h2>${esc(t("Authorities"))}</h2>
    <table><tbody>${all.map((a) => `<tr><td>${esc(a.name)}</td><td class="num">${esc(tn("{count} recommendation", "{count} recommendations", a.recommendations))}</td></tr>`).join("")}</tbody></table>
    <h2>${esc(t("Places"))}</h2>
    <table><tbody>${places.items.map((p) => `<tr><td><a href="#/places/${esc(p.place_id)}">${esc(p.name)}</a></td>
      <td>${words(p.place_type)}</td><td>${esc(p.authority_name || "")}</td></tr>`).join("")}</tbody></table>`;

  const value = (data, name) => String(data.get(name) || "").trim();
  document.getElementById("authority").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    const levels = [];
    for (let i = 0; i < LADDER_ROWS; i += 1) {
      if (value(data, `action${i}`) || value(data, `addressee${i}`) || value(data, `wait${i}`)) {
        levels.push({ action: value(data, `action${i}`), addressee: value(data, `addressee${i}`),
          wait_days: Number(value(data, `wait${i}`) || 0) });
      }
    }
    const body = { name: value(data, "name"), kind: value(data, "kind"), jurisdiction: value(data, "jurisdiction"),
      reply_period_days: Number(value(data, "reply_period_days")), day_kind: value(data, "day_kind"),
      urgent_reply_period_days: Number(value(data, "urgent_reply_period_days")), escalation_ladder: levels };
    await submitting(form, async () => {
      await api("POST", "/authorities?wait=true", { body, key: form.dataset.key });
      // The page is drawn afresh first, so the message stands on the new page.
      await route();
      flash(t("Authority registered: {name}.", { name: body.name }));
    });
  });
  document.getElementById("place").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    const body = { name: value(data, "name"), place_type: value(data, "place_type"),
      authority_id: value(data, "authority_id") };
    if (value(data, "region")) body.region = value(data, "region");
    await submitting(form, async () => {
      await api("POST", "/places?wait=true", { body, key: form.dataset.key });
      // The page is drawn afresh first, so the message stands on the new page.
      await route();
      flash(t("Place registered: {name}.", { name: body.name }));
    });
  });
  document.getElementById("report").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    const body = { kind: value(data, "kind"), title: value(data, "title"), report_date: value(data, "report_date") };
    if (value(data, "link")) body.link = value(data, "link");
    const to = value(data, "authority_id");
    if (to) {
      body.send_to = [to];
      body.sent_on = value(data, "sent_on") || body.report_date;
      if (value(data, "received_on")) body.received_on = value(data, "received_on");
    }
    await submitting(form, async () => {
      // One command, all or nothing: a failed sending registers nothing, and a retry
      // under the same key registers nothing twice.
      await api("POST", "/reports?wait=true", { body, key: form.dataset.key });
      // The page is drawn afresh first, so the message stands on the new page.
      await route();
      flash(to ? t("Report registered and sent: the reply clock is running.") : t("Report registered."));
    });
  });
  for (const form of document.querySelectorAll("form.send-report")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const body = { authority_id: value(data, "authority_id"), sent_on: value(data, "sent_on") };
      if (value(data, "received_on")) body.received_on = value(data, "received_on");
      await submitting(form, async () => {
        await api("POST", `/reports/${form.dataset.report}/sending?wait=true`, { body, key: form.dataset.key });
        // The page is drawn afresh first, so the message stands on the new page.
        await route();
        flash(t("Report “{title}” sent: the reply clock is running.", { title: form.dataset.title }));
      });
    });
  }
}

const day = (iso) => esc(iso ? formatDate(iso) : "");

// Each report as a sentence per sending ("sent to X on …, reply due …"), and a form to send
// it to an authority it has not been sent to yet.
function reportsTable(reports, all) {
  if (!reports.length) return `<p class="muted">${esc(t("No report registered yet."))}</p>`;
  const rows = reports.map((r) => {
    const sent = new Set(r.sendings.map((s) => String(s.authority_id)));
    const unsent = all.filter((a) => !sent.has(String(a.authority_id)));
    const sendings = r.sendings.length
      ? `<ul class="plain">${r.sendings.map((s) => `<li>${esc(s.received_on
        ? t("Sent to {authority} on {sent}, received {received}: reply due", {
          authority: s.authority_name || t("an authority"), sent: formatDate(s.sent_on), received: formatDate(s.received_on) })
        : t("Sent to {authority} on {sent}: reply due", { authority: s.authority_name || t("an authority"), sent: formatDate(s.sent_on) }))}
        <strong>${day(s.reply_due)}</strong></li>`).join("")}</ul>`
      : `<span class="muted">${esc(t("Not sent yet: the reply clock of its recommendations has not started."))}</span>`;
    const send = unsent.length ? `
      <form class="send-report inline" data-report="${esc(r.report_id)}" data-title="${esc(r.title)}" data-key="${crypto.randomUUID()}">
        <label>${esc(t("Send to"))} <select name="authority_id" required><option value="">${esc(t("choose…"))}</option>${
          unsent.map((a) => `<option value="${esc(a.authority_id)}">${esc(a.name)}</option>`).join("")}</select></label>
        <label>${esc(t("on"))} <input name="sent_on" type="date" value="${today()}" required></label>
        <label>${esc(t("received"))} <input name="received_on" type="date"></label>
        <button type="submit">${esc(t("Send"))}</button>
        <div class="problem"></div>
      </form>` : "";
    return `<tr><td><strong><a href="#/reports/${esc(r.report_id)}">${esc(r.title)}</a></strong><br><span class="muted">${words(r.kind)}${
      r.report_date ? `, ${esc(t("dated {date}", { date: formatDate(r.report_date) }))}` : ""}; ${
      esc(tn("{count} recommendation", "{count} recommendations", r.recommendations))}</span></td>
      <td>${sendings}${send}</td></tr>`;
  }).join("");
  return `<table class="reports"><thead><tr><th>${esc(t("Report"))}</th><th>${esc(t("Sent to, and the reply due"))}</th></tr></thead><tbody>${rows}</tbody></table>`;
}
