/** From merged coverage to verdicts: overall, per component, per file. Pure. */
import picomatch from 'picomatch';
import type { Component, GateConfig } from './config.js';
import {
  meetsThreshold,
  percentFloor,
  totalsOf,
  type CoverageMap,
  type FileCoverage,
  type Totals,
} from './model.js';

export type Metric = 'line' | 'branch' | 'function';

export interface Verdict {
  name: string;
  metric: Metric;
  covered: number;
  total: number;
  /** Rounded down to 2 decimals; undefined when there is nothing to cover. */
  percent?: string;
  threshold: number;
  passed: boolean;
  files: number;
}

export interface GateResult {
  overall: Verdict;
  totals: Totals;
  components: Verdict[];
  /** Files under the per-file minimum. */
  filesBelowMinimum: { path: string; percent?: string }[];
  worstFiles: { path: string; covered: number; total: number; percent?: string }[];
  passed: boolean;
}

export function pick(totals: Totals, metric: Metric): { covered: number; total: number } {
  return metric === 'line' ? totals.lines : metric === 'branch' ? totals.branches : totals.functions;
}

function verdict(name: string, files: FileCoverage[], metric: Metric, threshold: number): Verdict {
  const { covered, total } = pick(totalsOf(files), metric);
  // Nothing to cover is not 100 %: it fails, so an empty report cannot pass a gate.
  return {
    name,
    metric,
    covered,
    total,
    percent: percentFloor(covered, total),
    threshold,
    passed: total > 0 && meetsThreshold(covered, total, threshold),
    files: files.length,
  };
}

export function evaluate(
  map: CoverageMap,
  config: GateConfig,
  metric: Metric,
  threshold: number,
): GateResult {
  const excluded = config.exclude.length > 0 ? picomatch(config.exclude, { dot: true }) : () => false;
  const files = [...map.values()].filter((file) => !excluded(file.path));
  const overall = verdict('all', files, metric, threshold);
  const components = config.components.map((component: Component) => {
    const matches = picomatch(component.paths, { dot: true });
    return verdict(
      component.name,
      files.filter((file) => matches(file.path)),
      component.metric ?? metric,
      component.threshold ?? threshold,
    );
  });
  const perFile = files.map((file) => ({ path: file.path, ...pick(totalsOf([file]), 'line') }));
  const filesBelowMinimum =
    config.fileMinimum === undefined
      ? []
      : perFile
          .filter((file) => file.total > 0 && !meetsThreshold(file.covered, file.total, config.fileMinimum!))
          .map((file) => ({ path: file.path, percent: percentFloor(file.covered, file.total) }));
  const worstFiles = perFile
    .filter((file) => file.total > 0)
    .sort((a, b) => a.covered * b.total - b.covered * a.total || b.total - a.total)
    .slice(0, 10)
    .map((file) => ({ ...file, percent: percentFloor(file.covered, file.total) }));
  return {
    overall,
    totals: totalsOf(files),
    components,
    filesBelowMinimum,
    worstFiles,
    passed:
      overall.passed && components.every((component) => component.passed) && filesBelowMinimum.length === 0,
  };
}
