// A report's page: when it was sent to which authority and the reply due, and the letters
// about it (the transmittals and the letters of its reply obligation), to download; staff
// can write a transmittal by hand.
import { api, authorities, can, current, esc, main } from "./core.js";
import { formatDate, formatNumber, t } from "./i18n.js";
import { showLetters } from "./letters.js";

export async function reportPage(params, id) {
  const live = current();
  const [reports, all] = await Promise.all([api("GET", "/reports"), authorities()]);
  if (!live()) return;
  const report = reports.items.find((r) => r.report_id === id);
  if (!report) {
    main().innerHTML = `<p class="muted">${esc(t("No such report."))}</p>`;
    return;
  }
  const name = (authorityId) => (all.find((a) => a.authority_id === authorityId) || {}).name || t("an unknown authority");
  const sendings = report.sendings || [];
  main().innerHTML = `
    <p><a href="#/registry">${esc(t("← all reports"))}</a></p>
    <h1>${esc(report.title)}</h1>
    <p class="lead">${esc(t("Report dated {date}.", { date: formatDate(report.report_date) }))}
      ${esc(t("Recommendations in it: {count}.", { count: formatNumber(report.recommendations) }))}</p>
    ${sendings.length ? `<ul>${sendings.map((s) => `<li>${esc(t("Sent to {authority} on {sent}; reply due {due}.", {
      authority: s.authority_name || name(s.authority_id), sent: formatDate(s.sent_on), due: formatDate(s.reply_due) }))}</li>`).join("")}</ul>`
      : `<p class="muted">${esc(t("Not sent to any authority yet."))}</p>`}
    <section id="letters"></section>`;
  await showLetters(document.getElementById("letters"), `/reports/${id}/letters`, {
    kinds: ["transmittal"],
    reportId: id,
    authorities: can("draft") ? sendings.map((s) => ({ id: s.authority_id, name: s.authority_name || name(s.authority_id) })) : [],
  });
}
