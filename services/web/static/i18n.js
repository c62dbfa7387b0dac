// The web UI's languages: the strings of the gettext catalogs (services/web/locale/*.po,
// served as JSON by /i18n/<lang>.json), looked up with t() and tn(); dates and numbers
// written by the browser's Intl for the chosen locale. English is the catalogs' msgid, so
// a string missing from a catalog shows in English (and tests/fast/test_catalogs.py fails).

export const LANGUAGES = { en: "English", fr: "Français", es: "Español", ru: "Русский" };
const LANG_KEY = "rectrack.lang";

let lang = "en";
let messages = {};

export const language = () => lang;

// The user's choice on this browser, else their profile's, else the browser's languages.
export function chosenLanguage(profile) {
  const wanted = [localStorage.getItem(LANG_KEY), profile, ...(navigator.languages || [navigator.language])];
  for (const tag of wanted) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (base in LANGUAGES) return base;
  }
  return "en";
}

export async function loadLanguage(wanted) {
  const next = wanted in LANGUAGES ? wanted : "en";
  if (next !== "en") {
    const response = await fetch(`/i18n/${next}.json`);
    messages = response.ok ? (await response.json()).messages : {};
  } else {
    messages = {};
  }
  lang = next;
  document.documentElement.lang = lang;
  translatePage(document);
}

// A language picked in the page's picker is kept for this browser.
export function languagePicker(onChange) {
  const choices = Object.entries(LANGUAGES).map(([code, name]) => (
    `<option value="${code}"${code === lang ? " selected" : ""}>${name}</option>`)).join("");
  const picker = document.createElement("select");
  picker.id = "language";
  picker.setAttribute("aria-label", t("Language"));
  picker.innerHTML = choices;
  picker.addEventListener("change", async () => {
    localStorage.setItem(LANG_KEY, picker.value);
    await loadLanguage(picker.value);
    await onChange();
  });
  return picker;
}

// Static markup names its strings in data-i18n (the navigation, the register's headings).
export function translatePage(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function t(text, values = {}) {
  const found = messages[text];
  return fill(typeof found === "string" && found ? found : text, values);
}

// A string whose translation depends on what it stands beside (gettext's msgctxt), e.g. the
// "any" of a filter, masculine or feminine after its noun in French.
export function pt(context, text, values = {}) {
  const found = messages[`${context}\u0004${text}`];
  return fill(typeof found === "string" && found ? found : text, values);
}

// A string with a number in it: the catalog's plural forms, chosen by the locale's rules.
export function tn(one, other, n, values = {}) {
  const all = { count: formatNumber(n), ...values };
  const forms = messages[one];
  if (Array.isArray(forms) && forms.length && forms.every(Boolean)) {
    return fill(forms[Math.min(pluralIndex(n), forms.length - 1)], all);
  }
  return fill(n === 1 ? one : other, all);
}

// gettext's order of plural forms: one, other (en, es, fr); one, few, many (ru).
function pluralIndex(n) {
  const category = new Intl.PluralRules(lang).select(n);
  if (lang === "ru") return { one: 0, few: 1, many: 2 }[category] ?? 2;
  return category === "one" ? 0 : 1;
}

// A language named in the reader's language ("French", "français", "francés").
export function languageName(code) {
  try {
    return new Intl.DisplayNames([lang], { type: "language" }).of(code) || code;
  } catch {
    return LANGUAGES[code] || code;
  }
}

export function formatNumber(n) {
  return new Intl.NumberFormat(lang).format(n);
}

// A day (YYYY-MM-DD) as the locale writes it; the value itself if it is not one.
export function formatDate(day) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(day || ""))) return String(day ?? "");
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" })
    .format(new Date(`${day}T00:00:00Z`));
}
