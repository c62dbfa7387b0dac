// Charts for the statistics, authority and place pages: Chart.js, vendored under
// vendor/ and served by this app (the CSP allows scripts from here only), loaded on first
// use. Each chart is drawn next to a table of the same numbers, for screen readers, for
// copying, and for whoever prefers the numbers.
import { esc } from "./core.js";
import { formatNumber, t } from "./i18n.js";

const COLOURS = ["#1f5fa8", "#d9822b", "#3c8d40", "#b83b5e", "#6a4c93", "#8c6d1f", "#2a9d8f"];
let library = null;
let drawn = [];

function chartJs() {
  if (window.Chart) return Promise.resolve(window.Chart);
  library = library || new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "vendor/chart.umd.min.js";
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error(t("The chart library did not load.")));
    document.head.appendChild(script);
  });
  return library;
}

// Charts of a page that has been left: free them before drawing the next page's.
export function forgetCharts() {
  for (const chart of drawn) chart.destroy();
  drawn = [];
}

const cell = (v, unit) => (v == null ? "—" : `${esc(typeof v === "number" ? formatNumber(v) : v)}${unit && v != null ? ` ${unit}` : ""}`);

// A chart and its table side by side. `spec`: { id, title, type: "bar"|"line", labels,
// series: [{ name, values }], unit, horizontal, max, note }. Returns the markup; draw()
// puts the charts in once the markup is on the page.
export function chartWithTable(spec) {
  const head = `<tr><th>${esc(spec.labelHeading || "")}</th>${spec.series.map((s) =>
    `<th class="num">${esc(s.name)}</th>`).join("")}</tr>`;
  const body = spec.labels.map((label, i) => `<tr><td>${esc(label)}</td>${spec.series.map((s) =>
    `<td class="num">${cell(s.values[i], spec.unit)}</td>`).join("")}</tr>`).join("");
  const empty = spec.labels.length === 0;
  return `<section class="chart-pair" aria-labelledby="${esc(spec.id)}-title">
    <h2 id="${esc(spec.id)}-title">${esc(spec.title)}</h2>
    ${spec.note ? `<p class="muted">${esc(spec.note)}</p>` : ""}
    ${empty ? `<p class="muted">${esc(t("Nothing to show for this selection."))}</p>` : `<div class="pair">
      <div class="chart-box"><canvas id="${esc(spec.id)}" role="img" aria-label="${esc(t("{title}: the table beside it gives the numbers", { title: spec.title }))}"></canvas></div>
      <table class="chart-table"><thead>${head}</thead><tbody>${body}</tbody></table></div>`}
  </section>`;
}

export async function draw(specs) {
  const Chart = await chartJs();
  forgetCharts();
  for (const spec of specs) {
    const canvas = document.getElementById(spec.id);
    if (!canvas) continue;
    const horizontal = Boolean(spec.horizontal);
    const valueAxis = { beginAtZero: true, ...(spec.max ? { max: spec.max } : {}),
      title: { display: Boolean(spec.unit), text: spec.unit || "" } };
    drawn.push(new Chart(canvas, {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, n) => ({
          label: s.name, data: s.values, spanGaps: false,
          backgroundColor: spec.series.length === 1 && spec.type !== "line"
            ? spec.labels.map((_, i) => COLOURS[i % COLOURS.length]) : COLOURS[n % COLOURS.length],
          borderColor: COLOURS[n % COLOURS.length],
        })),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.series.length > 1 } },
        // every category labelled: the table beside the chart has them all too
        scales: horizontal ? { x: valueAxis, y: { ticks: { autoSkip: false } } }
          : { y: valueAxis, x: { ticks: { autoSkip: false } } },
      },
    }));
  }
}
