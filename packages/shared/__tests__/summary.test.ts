import { describe, expect, it } from '@jest/globals';
import {
  capSummary,
  details,
  escapeHtml,
  htmlTable,
  keyValueList,
  mermaidLineChart,
} from '../src/summary.js';

describe('summary helpers', () => {
  it('escapes text from users and AWS', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;',
    );
  });

  it('builds a table with escaped cells and a dash for missing values', () => {
    const table = htmlTable(
      ['step', 'weight'],
      [
        ['<5%>', 5],
        ['done', null],
      ],
    );
    expect(table).toContain('<th>step</th><th>weight</th>');
    expect(table).toContain('<td>&lt;5%&gt;</td><td>5</td>');
    expect(table).toContain('<td>done</td><td>—</td>');
  });

  it('lists key/value facts', () => {
    expect(keyValueList([['live colour', 'green']])).toContain('<li><b>live colour</b>: green</li>');
  });

  it('wraps a body in a collapsible section', () => {
    expect(details('Service events', '<p>x</p>', true)).toMatch(
      /^<details open><summary>Service events<\/summary>/,
    );
  });

  it('draws a series against a flat threshold line as mermaid xychart-beta', () => {
    const chart = mermaidLineChart({
      title: 'Error rate',
      xLabels: ['0m', '1m', '2m'],
      yLabel: '%',
      series: [{ name: 'green 5xx', values: [0.1, 0.4, 7] }],
      threshold: 5,
    });
    expect(chart.startsWith('\n```mermaid\nxychart-beta\n  title "Error rate"')).toBe(true);
    expect(chart).toContain('x-axis ["0m", "1m", "2m"]');
    expect(chart).toContain('y-axis "%" 0 --> 7.7');
    expect(chart).toContain('line [0.1, 0.4, 7]');
    expect(chart).toContain('line [5, 5, 5]');
    expect(chart).toContain('flat line: threshold 5');
  });

  it('keeps quotes out of mermaid labels', () => {
    const chart = mermaidLineChart({
      title: 'a "quoted" title',
      xLabels: ['x"', 'y'],
      yLabel: 'y',
      series: [{ name: 's', values: [1, 2] }],
    });
    expect(chart).toContain('title "a  quoted  title"');
    expect(chart).toContain('x-axis ["x ", "y"]');
  });

  it('draws no chart of one point: one point is not a line', () => {
    expect(
      mermaidLineChart({
        title: 't',
        xLabels: ['5 %'],
        yLabel: '%',
        series: [{ name: 's', values: [1] }],
        threshold: 5,
      }),
    ).toBe('');
  });

  it('cuts a summary that would pass the 1 MiB limit and says so', () => {
    const part = 'x'.repeat(400_000);
    const text = capSummary([part, part, part]);
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    expect(text).toContain('Summary cut here');
    expect(capSummary(['a', 'b'])).toBe('ab');
  });
});
