// The inbox page: tasks by view, filtered (with counts) and sorted; claimed, completed and
// reassigned in place.
import { PAGE, api, badge, can, current, esc, flash, main, pager, query, route, state, submitting, words } from "./core.js";

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
  const person = (id) => (id === state.me.id ? "you" : esc(names.get(id) || "someone no longer listed"));
  const link = (changes) => `#/inbox${query({ view, ...chosen, ...changes })}`;
  const tabs = [["mine", "My tasks"], ["unclaimed", "Unclaimed"], ["open", "All open"], ["completed", "Completed"]]
    .map(([key, label]) => (key === view ? `<b>${label}</b>` : `<a href="${link({ view: key, offset: "" })}">${label}</a>`))
    .join(" · ");
  const rows = page.items.map((task) => `
    <tr data-task="${esc(task.task_id)}">
      <td>${about(task)}<br>${esc(task.title)}
        <br><span class="muted">${words(task.kind)}${task.authority ? ` · ${esc(task.authority)}` : ""}</span></td>
      <td>${esc(task.due_on)} ${task.overdue ? badge("overdue") : ""}</td>
      <td>${badge(task.state)}${task.assignee ? `<br><span class="muted">${person(task.assignee)}</span>` : ""}
        ${task.outcome ? `<br>${esc(task.outcome)}` : ""}</td>
      <td>${taskActions(task)}${reassignForm(task, workers)}</td>
    </tr>`).join("");
  main().innerHTML = `
    <h1>Inbox</h1>
    <p>${tabs}</p>
    ${filterForm(page.counts || {}, chosen, person, `#/inbox?view=${view}`)}
    <p class="muted">${page.total} task${page.total === 1 ? "" : "s"} ·
      ${chosen.sort === "due" ? `sorted by due date (<a href="${link({ sort: "", offset: "" })}">overdue first</a>)`
        : `overdue first (<a href="${link({ sort: "due", offset: "" })}">sort by due date</a>)`}</p>
    ${page.items.length ? `<table><thead><tr><th>Task</th><th>Due</th><th>State</th><th></th></tr></thead>
      <tbody>${rows}</tbody></table>` : `<p class="muted">No tasks here.</p>`}
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
  const more = task.recommendation_ids.length > 1 ? ` and ${task.recommendation_ids.length - 1} more` : "";
  return `<a href="#/recommendations/${esc(task.recommendation_ids[0])}"><b>${
    esc(task.reference || "recommendation")}</b>${text}</a>${more}`;
}

function filterForm(counts, chosen, person, clear) {
  const select = (name, label, facet, show) => {
    const entries = (counts[facet] || []).filter((c) => c.value !== null);
    const choices = entries.map((c) => {
      const value = String(c.value);
      return `<option value="${esc(value)}"${value === chosen[name] ? " selected" : ""}>${show(c)} (${c.count})</option>`;
    }).join("");
    return `<label>${label} <select name="${name}"><option value="">any</option>${choices}</select></label>`;
  };
  const overdue = (counts.overdue || []).find((c) => c.value === true);
  return `<form class="filters">
    ${select("kind", "Kind", "kind", (c) => words(c.value))}
    ${select("authority_id", "Authority", "authority_id", (c) => esc(c.label || "none"))}
    ${select("assignee", "Held by", "assignee", (c) => person(c.value))}
    <label><input type="checkbox" name="overdue" value="true"${chosen.overdue === "true" ? " checked" : ""}>
      Overdue only (${overdue ? overdue.count : 0})</label>
    <label>Due before <input type="date" name="due_before" value="${esc(chosen.due_before)}"></label>
    <button type="submit">Filter</button>
    ${["kind", "authority_id", "assignee", "overdue", "due_before"].some((n) => chosen[n])
      ? `<a href="${esc(clear)}">clear filters</a>` : ""}
  </form>`;
}

function taskActions(task) {
  if (!can("work_tasks") || !["open", "claimed"].includes(task.state)) return "";
  const key = crypto.randomUUID();
  if (task.state === "open") {
    return `<form data-task-action="claim" data-key="${key}" data-version="${esc(task.version)}">
      <button type="submit">Claim</button><div class="problem"></div></form>`;
  }
  if (task.assignee !== state.me.id) return `<span class="muted">claimed by someone else</span>`;
  return `<form data-task-action="complete" data-key="${key}" data-version="${esc(task.version)}">
      <label>Outcome <input name="outcome" required maxlength="200" placeholder="e.g. letter sent"></label>
      <label>Note <input name="note" maxlength="2000"></label>
      <button type="submit">Complete</button><div class="problem"></div></form>`;
}

function reassignForm(task, workers) {
  if (!can("reassign_tasks") || !["open", "claimed"].includes(task.state) || !workers.length) return "";
  const people = workers.filter((w) => w.id !== task.assignee)
    .map((w) => `<option value="${esc(w.username)}">${esc(w.display_name)}</option>`).join("");
  return `<form data-task-action="reassign" data-key="${crypto.randomUUID()}" data-version="${esc(task.version)}">
      <label>Give to <select name="assignee" required><option value="">choose a person</option>${people}</select></label>
      <button type="submit">Reassign</button><div class="problem"></div></form>`;
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
    const message = action === "claim" ? "Task claimed: it is in your tasks now."
      : action === "complete" ? "Task completed." : `Task given to ${given()}.`;
    // The page is drawn afresh first, so the message stands on the new page.
    await route();
    flash(message);
  });
}
