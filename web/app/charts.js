// Trend charts with uPlot (npm uplot, pinned, embedded at build from
// node_modules: /static/vendor/uplot/). A chart is a <figure> with a caption,
// the uPlot canvas (which follows the width of its box) and the same numbers
// as a table under "Show the data as a table", for keyboard and screen-reader
// users. uPlot styles its elements from JavaScript (element.style), which
// the page's CSP allows; it needs no inline <style> or style attributes.

import uPlot from '../vendor/uplot/uPlot.esm.js';
import { h, table, fmtMonth, uid } from './dom.js';

const COLORS = ['#1f5fa8', '#c2571a', '#2c8a4b', '#7a3fa0'];

/**
 * A line chart over months. MONTHS: ["2026-01", ...]; SERIES: [{label,
 * values (numbers or null), scale ('y' or a name), fmt(v) -> text, range
 * [min, max]}]. Returns {el, destroy}.
 */
export function monthChart({ title, months, series, height = 220 }) {
  const box = h('div', { class: 'chart-box' });
  const captionId = uid('chart');
  const tableView = table({
    caption: title,
    columns: [
      { label: 'Month', get: (i) => fmtMonth(months[i]) },
      ...series.map((s) => ({ label: s.label, num: true, get: (i) => (s.values[i] === null || s.values[i] === undefined ? '—' : s.fmt(s.values[i])) })),
    ],
    rows: months.map((_, i) => i),
    rowHeader: 0,
    empty: 'No months in this range.',
  });
  const el = h('figure', { class: 'chart', 'aria-labelledby': captionId },
    h('figcaption', { id: captionId }, title),
    box,
    h('details', { class: 'chart-data' }, h('summary', {}, 'Show the data as a table'), tableView));

  const scales = { x: { time: false } };
  const axes = [{
    values: (u, splits) => splits.map((v) => (Number.isInteger(v) && months[v] ? fmtMonth(months[v]) : '')),
    incrs: [1, 2, 3, 6, 12, 24],
    stroke: '#333',
    grid: { stroke: '#e3e3e3' },
  }];
  series.forEach((s, i) => {
    const scale = s.scale ?? 'y';
    if (!scales[scale]) {
      scales[scale] = s.range ? { range: () => s.range } : { range: (u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 1)] };
      axes.push({
        scale,
        side: axes.length === 1 ? 3 : 1,
        stroke: axes.length === 1 ? '#333' : COLORS[i % COLORS.length],
        grid: { show: axes.length === 1, stroke: '#e3e3e3' },
        values: (u, splits) => splits.map((v) => s.fmt(v)),
        size: 56,
      });
    }
  });
  const opts = {
    width: 600,
    height,
    scales,
    axes,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: 'Month', value: (u, v) => (v === null || !months[v] ? '—' : fmtMonth(months[v])) },
      ...series.map((s, i) => ({
        label: s.label,
        scale: s.scale ?? 'y',
        stroke: COLORS[i % COLORS.length],
        width: 2,
        points: { show: true, size: 6 },
        spanGaps: false,
        value: (u, v) => (v === null || v === undefined ? '—' : s.fmt(v)),
      })),
    ],
  };
  const data = [months.map((_, i) => i), ...series.map((s) => s.values.map((v) => (v === undefined ? null : v)))];
  let plot = null;
  let observer = null;
  const size = () => Math.max(260, Math.floor(box.clientWidth || 600));
  // uPlot measures its box, so it is made once the figure is in the page.
  const mount = () => {
    if (plot || !box.isConnected) return;
    plot = new uPlot({ ...opts, width: size() }, data, box);
    plot.root.setAttribute('aria-hidden', 'true');
    observer = new ResizeObserver(() => {
      if (plot) plot.setSize({ width: size(), height });
    });
    observer.observe(box);
  };
  queueMicrotask(mount);
  requestAnimationFrame(mount);
  return {
    el,
    mount,
    destroy() {
      observer?.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
