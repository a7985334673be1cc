#!/usr/bin/env node
// Draws perf/results.svg from perf/RESULTS.md: median requests per second of every contender on
// GET /hello (no validation) and POST /schema (validated), as grouped horizontal bars, with the
// date and the machine of the run. No dependencies; bench.mjs calls it after each full run.
//
//   node perf/chart.mjs [RESULTS.md] [out.svg]

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SERIES = [
  { section: "GET /hello", label: "GET /hello (no validation)", color: "#1f5fa8" },
  { section: "POST /schema", label: "POST /schema (validated)", color: "#e08a1e" },
];

/** Writes the chart of `markdown` (RESULTS.md's text) next to it; returns the SVG's path. */
export function writeChart(markdown, perfDir) {
  const path = join(perfDir, "results.svg");
  writeFileSync(path, renderChart(parseResults(markdown)));
  return path;
}

/** `{ date, machine, rows: [{ name, values: [hello, schema] }] }` from RESULTS.md. */
export function parseResults(markdown) {
  const line = (prefix) => markdown.split("\n").find((l) => l.startsWith(prefix))?.slice(prefix.length).trim() ?? "?";
  const tables = SERIES.map((s) => medians(sectionTable(markdown, s.section)));
  // Contenders of the validated workload, in table order: the frameworks measured both ways.
  const names = [...tables[1].keys()];
  return { date: line("- Date:"), machine: line("- Machine:").split(";")[0], rows: names.map((name) => ({ name, values: tables.map((t) => t.get(name) ?? NaN) })) };
}

/** The rows of the first table under the heading `## title` (exactly), as arrays of cells. */
function sectionTable(markdown, title) {
  const lines = markdown.split("\n");
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`RESULTS.md has no "## ${title}" section`);
  const rows = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith("## ")) break;
    if (l.startsWith("|")) rows.push(l.slice(1, -1).split("|").map((cell) => cell.trim()));
    else if (rows.length > 0) break;
  }
  return rows;
}

/** contender → median req/s (the number before " / " in the req/s column). */
function medians(rows) {
  const [head, , ...body] = rows;
  const col = head?.indexOf("req/s") ?? -1;
  if (col < 0) throw new Error("a results table has no req/s column");
  return new Map(body.map((cells) => [cells[0], Number(cells[col].split("/")[0].replace(/,/g, ""))]));
}

const escape = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The SVG text. */
export function renderChart({ date, machine, rows }) {
  const width = 820;
  const left = 130;
  const right = 80;
  const top = 78;
  const bar = 13;
  const group = SERIES.length * bar + 12;
  const plot = width - left - right;
  const height = top + rows.length * group + 40;
  const max = Math.max(1, ...rows.flatMap((r) => r.values.filter(Number.isFinite)));
  const step = niceStep(max / 5);
  const scale = plot / (Math.ceil(max / step) * step);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="20" font-size="15" font-weight="600">Requests per second (median), higher is better</text>`,
    `<text x="16" y="38" fill="#555">${escape(date)} · ${escape(machine)} · perf/RESULTS.md</text>`,
  ];
  SERIES.forEach((s, i) => {
    const x = left + i * 220;
    out.push(`<rect x="${x}" y="50" width="12" height="12" fill="${s.color}"/>`, `<text x="${x + 17}" y="60">${escape(s.label)}</text>`);
  });
  for (let v = 0; v * scale <= plot + 0.5; v += step) {
    const x = left + v * scale;
    out.push(`<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${height - 28}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x}" y="${height - 14}" text-anchor="middle" fill="#555">${v === 0 ? "0" : `${v / 1000}k`}</text>`);
  }
  rows.forEach((row, r) => {
    const y = top + r * group;
    out.push(`<text x="${left - 8}" y="${y + (SERIES.length * bar) / 2 + 4}" text-anchor="end">${escape(row.name)}</text>`);
    row.values.forEach((value, i) => {
      const by = y + i * bar;
      if (!Number.isFinite(value)) {
        out.push(`<text x="${left + 4}" y="${by + 10}" fill="#999">no result</text>`);
        return;
      }
      const w = Math.max(1, value * scale);
      out.push(`<rect x="${left}" y="${by}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${SERIES[i].color}"/>`);
      out.push(`<text x="${(left + w + 4).toFixed(1)}" y="${by + 10}" fill="#333">${Math.round(value).toLocaleString("en-US")}</text>`);
    });
  });
  out.push("</svg>", "");
  return out.join("\n");
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const perfDir = dirname(fileURLToPath(import.meta.url));
  const input = process.argv[2] ?? join(perfDir, "RESULTS.md");
  const output = process.argv[3] ?? join(perfDir, "results.svg");
  writeFileSync(output, renderChart(parseResults(readFileSync(input, "utf8"))));
  console.error(`wrote ${output}`);
}
