// Files from the API saved by the browser (the annual pack, a list's export), and the
// export bar every list page carries: it downloads the list its filters select, every row,
// as CSV or XLSX in the spreadsheet import's columns (GET /recommendations/export).
import { ApiFailure, esc, query, token } from "./core.js";
import { t } from "./i18n.js";

// The file the server names in Content-Disposition (its UTF-8 name, else the ASCII
// one), else `fallback`.
function filenameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (utf8) {
    try {
      return decodeURIComponent(utf8[1]);
    } catch {
      // a malformed escape: the ASCII name below
    }
  }
  const found = /filename="([^"]+)"/.exec(header);
  return found ? found[1] : fallback;
}

export async function downloadFile(path, fallback) {
  const response = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) throw new ApiFailure(response.status, await response.json().catch(() => null));
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = filenameOf(response, fallback);
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return link.download;
}

// The bar's markup; `exportBar.wire()` after it is in the page makes its buttons work.
export function exportBar(filters) {
  const shown = { ...filters };
  delete shown.offset;
  delete shown.limit;
  return `<div class="export-bar" data-filters="${esc(query(shown))}">
    <span>${esc(t("Export this list:"))}</span>
    <button type="button" class="secondary" data-format="csv">${esc(t("CSV"))}</button>
    <button type="button" class="secondary" data-format="xlsx">${esc(t("Excel (XLSX)"))}</button>
    <span class="muted" role="status"></span></div>`;
}

exportBar.wire = (root = document) => {
  for (const bar of root.querySelectorAll(".export-bar")) {
    const status = bar.querySelector("[role=status]");
    for (const button of bar.querySelectorAll("button[data-format]")) {
      button.addEventListener("click", async () => {
        const format = button.dataset.format;
        const filters = bar.dataset.filters ? `${bar.dataset.filters}&` : "?";
        button.disabled = true;
        status.textContent = t("Preparing the file…");
        try {
          const name = await downloadFile(`/recommendations/export${filters}format=${format}`,
            `recommendations.${format}`);
          status.textContent = t("{name} is downloaded.", { name });
        } catch (error) {
          status.textContent = error instanceof ApiFailure
            ? t("Could not export the list: {message}", { message: error.message }) : String(error);
        } finally {
          button.disabled = false;
        }
      });
    }
  }
};
