// The web UI's entry, a client of the public API (/api/v1) and nothing more: the routes and the router.
import { ApiFailure, errorBox, main, setRouter, state } from "./core.js";
import { linkPage, loadMe, loginPage, resetPage } from "./login.js";
import { inboxPage } from "./inbox.js";
import { listPage } from "./list.js";
import { detailPage } from "./detail.js";
import { placePage } from "./place.js";
import { statsPage } from "./stats.js";
import { draftPage } from "./draft.js";
import { registryPage } from "./registry.js";
import { chosenLanguage, language, languagePicker, loadLanguage } from "./i18n.js";
import { authorityPage } from "./authority.js";
import { reportPage } from "./report.js";
import { profilePage } from "./profile.js";

const ROUTES = [
  [/^\/inbox$/, inboxPage, "inbox"],
  [/^\/recommendations$/, listPage, "recommendations"],
  [/^\/recommendations\/([0-9a-f-]{36})$/, detailPage, "recommendations"],
  [/^\/places\/([0-9a-f-]{36})$/, placePage, "recommendations"],
  [/^\/stats$/, statsPage, "stats"],
  [/^\/draft$/, draftPage, "draft"],
  [/^\/registry$/, registryPage, "registry"],
  [/^\/authorities\/([0-9a-f-]{36})$/, authorityPage, "stats"],
  [/^\/reports\/([0-9a-f-]{36})$/, reportPage, "registry"],
  [/^\/profile$/, profilePage, "profile"],
];

async function route() {
  state.ticket += 1;
  const [path, search] = location.hash.replace(/^#/, "").split("?");
  const link = path.match(/^\/(link|reset)\/([A-Za-z0-9_-]{10,200})$/);
  if (link) {
    await (link[1] === "link" ? linkPage(link[2]) : resetPage(link[2]));
    return;
  }
  if (path === "/login") {
    loginPage();
    return;
  }
  try {
    if (!state.me) await loadMe();
    await followProfileLanguage();
    const params = new URLSearchParams(search || "");
    const found = ROUTES.find(([pattern]) => pattern.test(path));
    if (!found) {
      location.hash = "#/inbox";
      return;
    }
    const [pattern, page, nav] = found;
    const current = nav === "recommendations" && params.get("overdue") === "true" ? "overdue" : nav;
    for (const link of document.querySelectorAll("nav a")) {
      link.classList.toggle("active", link.dataset.nav === current);
    }
    await page(params, ...path.match(pattern).slice(1));
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    // No session (or it ended): the sign-in form.
    if (error.status === 401 && !state.me) loginPage();
    else if (error.status !== 401) main().innerHTML = errorBox(error);
  }
}

// Once signed in: the language of the user's profile, unless this browser chose one
// (i18n.js chosenLanguage puts that choice first).
let profileLanguageFollowed = false;
async function followProfileLanguage() {
  if (profileLanguageFollowed || !state.me) return;
  profileLanguageFollowed = true;
  // A profile's language counts once the user chose one (every profile starts in English).
  const wanted = chosenLanguage(state.me.language_chosen ? state.me.language : null);
  if (wanted === language()) return;
  await loadLanguage(wanted);
  const picker = document.querySelector("#language-slot select");
  if (picker) picker.value = wanted;
}

setRouter(route);
window.addEventListener("hashchange", route);
// The language first (this browser's choice, else the browser's own), then the page.
loadLanguage(chosenLanguage()).then(() => {
  document.getElementById("language-slot").append(languagePicker(route));
  route();
});
