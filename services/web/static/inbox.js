// The inbox page: tasks by view, filtered (with counts) and sorted; claimed, completed and
// reassigned in place.
import { PAGE, api, badge, can, current, esc, flash, main, pager, query, route, state, submitting, words } from "./core.js";
import { formatDate, pt, t, tn } from "./i18n.js";

const FILTERS = ["kind", "authority_id", "assignee", "overdue", "due_before", "sort"];

export async function inboxPage(params) {
  if (!can("read_all")) {
    location.hash = "#/recommendations";
    return;
  }
  const view = params.get("view") || "mine";
  const base = { mine: { state: "open", mine: "true" }, unclaimed: { state: "unclaimed" },
    open: { state: "open" }, completed: { state: "completed" } }[view] || { state: "open" };
  const chosen = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || ""]));
  const offset = Number(params.get("offset") || 0);
  const live = current();
  const [page, workers] = await Promise.all([
    api("GET", `/tasks${query({ ...base, ...chosen, limit: PAGE, offset })}`),
    can("work_tasks") ? api("GET", "/tasks/workers") : Promise.resolve([]),
  ]);
  if (!live()) return;
  const names = new Map(workers.map((w) => [w.id, w.display_name]));
  const person = (id) => esc(id === state.me.id ? t("you") : names.get(id) || t("someone no longer listed"));
  const link = (changes) => `#/inbox${query({ view, ...chosen, ...changes })}`;
  const tabs = [["mine", t("My tasks")], ["unclaimed", t("Unclaimed")], ["open", t("All open")], ["completed", t("Completed")]]
    .map(([key, label]) => (key === view ? `<b>${esc(label)}</b>` : `<a href="${link({ view: key, offset: "" })}">${esc(label)}</a>`))
    .join(" · ");
  const rows = page.items.map((task) => `
    <tr data-task="${esc(task.task_id)}">
      <td>${about(task)}<br>${esc(task.title)}
        <br><span class="muted">${words(task.kind)}${task.authority ? ` · ${esc(task.authority)}` : ""}</span></td>
      <td>${esc(formatDate(task.due_on))} ${task.overdue ? badge("overdue") : ""}</td>
      <td>${badge(task.state)}${task.assignee ? `<br><span class="muted">${person(task.assignee)}</span>` : ""}
        ${task.outcome ? `<br>${esc(task.outcome)}` : ""}</td>
      <td>${taskActions(task)}${reassignForm(task, workers)}</td>
    </tr>`).join("");
  main().innerHTML = `
    <h1>${esc(t("Inbox"))}</h1>
    <p>${tabs}</p>
    ${filterForm(page.counts || {}, chosen, person, `#/inbox?view=${view}`)}
    <p class="muted">${esc(tn("{count} task", "{count} tasks", page.total))} ·
      ${chosen.sort === "due" ? `${esc(t("sorted by due date"))} (<a href="${link({ sort: "", offset: "" })}">${esc(t("overdue first"))}</a>)`
        : `${esc(t("overdue first"))} (<a href="${link({ sort: "due", offset: "" })}">${esc(t("sort by due date"))}</a>)`}</p>
    ${page.items.length ? `<table><thead><tr><th>${esc(t("Task"))}</th><th>${esc(t("Due"))}</th><th>${esc(t("State"))}</th><th></th></tr></thead>
      <tbody>${rows}</tbody></table>` : `<p class="muted">${esc(t("No tasks here."))}</p>`}
    ${pager(page, offset, (o) => link({ offset: o }))}`;
  main().querySelector("form.filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const picked = Object.fromEntries(FILTERS.map((name) => [name, data.get(name) || ""]));
    picked.sort = chosen.sort;
    location.hash = `#/inbox${query({ view, ...picked })}`;
  });
  for (const form of main().querySelectorAll("form[data-task-action]")) {
    form.addEventListener("submit", (event) => submitTask(event, form));
  }
}

// What the task is about: the recommendation's reference and opening words, linked.
function about(task) {
  if (!task.recommendation_ids.length) return "";
  const text = task.recommendation_text ? ` “${esc(task.recommendation_text)}”` : "";
  const others = task.recommendation_ids.length - 1;
  const more = others > 0 ? ` ${esc(tn("and {count} more", "and {count} more", others))}` : "";
  return `<a href="#/recommendations/${esc(task.recommendation_ids[0])}"><b>${
    esc(task.reference || t("recommendation"))}</b>${text}</a>${more}`;
}

function filterForm(counts, chosen, person, clear) {
  const select = (name, label, facet, show, any) => {
    const entries = (counts[facet] || []).filter((c) => c.value !== null);
    const choices = entries.map((c) => {
      const value = String(c.value);
      return `<option value="${esc(value)}"${value === chosen[name] ? " selected" : ""}>${show(c)} (${c.count})</option>`;
    }).join("");
    return `<label>${esc(label)} <select name="${name}"><option value="">${esc(any)}</option>${choices}</select></label>`;
  };
  const overdue = (counts.overdue || []).find((c) => c.value === true);
  return `<form class="filters">
    ${select("kind", t("Kind"), "kind", (c) => words(c.value), pt("kind", "any"))}
    ${select("authority_id", t("Authority"), "authority_id", (c) => esc(c.label || t("none")), pt("authority", "any"))}
    ${select("assignee", t("Held by"), "assignee", (c) => person(c.value), pt("holder", "any"))}
    <label><input type="checkbox" name="overdue" value="true"${chosen.overdue === "true" ? " checked" : ""}>
      ${esc(t("Overdue only ({count})", { count: overdue ? overdue.count : 0 }))}</label>
    <label>${esc(t("Due before"))} <input type="date" name="due_before" value="${esc(chosen.due_before)}"></label>
    <button type="submit">${esc(t("Filter"))}</button>
    ${["kind", "authority_id", "assignee", "overdue", "due_before"].some((n) => chosen[n])
      ? `<a href="${esc(clear)}">${esc(t("clear filters"))}</a>` : ""}
  </form>`;
}

function taskActions(task) {
  if (!can("work_tasks") || !["open", "claimed"].includes(task.state)) return "";
  const key = crypto.randomUUID();
  if (task.state === "open") {
    return `<form data-task-action="claim" data-key="${key}" data-version="${esc(task.version)}">
      <button type="submit">${esc(t("Claim"))}</button><div class="problem"></div></form>`;
  }
  if (task.assignee !== state.me.id) return `<span class="muted">${esc(t("claimed by someone else"))}</span>`;
  return `<form data-task-action="complete" data-key="${key}" data-version="${esc(task.version)}">
      <label>${esc(t("Outcome"))} <input name="outcome" required maxlength="200" placeholder="${esc(t("e.g. letter sent"))}"></label>
      <label>${esc(t("Note"))} <input name="note" maxlength="2000"></label>
      <button type="submit">${esc(t("Complete"))}</button><div class="problem"></div></form>`;
}

function reassignForm(task, workers) {
  if (!can("reassign_tasks") || !["open", "claimed"].includes(task.state) || !workers.length) return "";
  const people = workers.filter((w) => w.id !== task.assignee)
    .map((w) => `<option value="${esc(w.username)}">${esc(w.display_name)}</option>`).join("");
  return `<form data-task-action="reassign" data-key="${crypto.randomUUID()}" data-version="${esc(task.version)}">
      <label>${esc(t("Give to"))} <select name="assignee" required><option value="">${esc(t("choose a person"))}</option>${people}</select></label>
      <button type="submit">${esc(t("Reassign"))}</button><div class="problem"></div></form>`;
}

async function submitTask(event, form) {
  event.preventDefault();
  const row = form.closest("tr");
  const action = form.dataset.taskAction;
  const data = new FormData(form);
  const body = action === "complete" ? { outcome: data.get("outcome"), note: data.get("note") || null }
    : action === "reassign" ? { assignee: data.get("assignee") } : {};
  await submitting(form, async () => {
    await api("POST", `/tasks/${row.dataset.task}/${action}?wait=true`,
      { body, key: form.dataset.key, version: form.dataset.version });
    // Only a reassignment has a person picker to name.
    const given = () => form.querySelector("select").selectedOptions[0].textContent;
    const message = action === "claim" ? t("Task claimed: it is in your tasks now.")
      : action === "complete" ? t("Task completed.") : t("Task given to {name}.", { name: given() });
    // The page is drawn afresh first, so the message stands on the new page.
    await route();
    flash(message);
  });
}
