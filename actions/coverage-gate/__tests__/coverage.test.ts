import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { meetsThreshold, percentFloor } from '../src/model.js';
import { lineCount, readReports } from '../src/read.js';
import { NO_CONFIG } from '../src/config.js';
import { evaluate } from '../src/gate.js';

/** A source file long enough for every line the reports below count (lines past a file's end are not counted). */
const SOURCE = 'code\n'.repeat(200);

/** A throw-away repository with the given files (source files and reports). */
function repo(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'cov-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

describe('exact arithmetic', () => {
  it('rounds down and never up: 79.996 % shows as 79.99 and fails 80', () => {
    expect(percentFloor(79_996, 100_000)).toBe('79.99');
    expect(meetsThreshold(79_996, 100_000, 80)).toBe(false);
    expect(percentFloor(8, 10)).toBe('80.00');
    expect(meetsThreshold(8, 10, 80)).toBe(true);
    expect(percentFloor(2, 3)).toBe('66.66');
    expect(meetsThreshold(7999, 10_000, 79.99)).toBe(true);
    expect(meetsThreshold(7998, 10_000, 79.99)).toBe(false);
  });
  it('reports nothing to cover as no percentage, never 100 %', () => {
    expect(percentFloor(0, 0)).toBeUndefined();
  });
});

describe('LCOV', () => {
  it('merges repeated SF sections per line, ignores LF/LH, counts branches and functions', async () => {
    const root = repo({
      'src/a.ts': SOURCE,
      'lcov.info':
        'TN:\nSF:src/a.ts\nFN:1,f\nFNDA:0,f\nDA:1,0\nDA:2,3\nBRDA:2,0,0,1\nBRDA:2,0,1,-\nLF:99\nLH:99\nend_of_record\nSF:src/a.ts\nFNDA:2,f\nDA:1,1\nDA:3,0\nend_of_record\n',
    });
    const { map } = await readReports(['lcov.info'], root, []);
    const result = evaluate(map, NO_CONFIG, 'line', 50);
    expect(result.totals.lines).toEqual({ covered: 2, total: 3 });
    expect(result.totals.branches).toEqual({ covered: 1, total: 2 });
    expect(result.totals.functions).toEqual({ covered: 1, total: 1 });
  });

  it('reads a DA line the same however it is written: plain, zero-padded, with a checksum, spaced, CRLF', async () => {
    const root = repo({
      'src/a.ts': SOURCE,
      'lcov.info': [
        'SF:src/a.ts',
        'DA:7,0',
        'DA:007,2', // the same line as DA:7
        'DA:8,0,Zm9v', // with an MD5 checksum
        '  DA:9,1  ',
        'DA:10,0\r',
        'DA:8,1',
        'end_of_record',
      ].join('\n'),
    });
    const { map } = await readReports(['lcov.info'], root, []);
    const units = Object.fromEntries([...map.values()][0]!.units);
    expect(units).toEqual({
      L7: { weight: 1, hits: 2 },
      L8: { weight: 1, hits: 1 },
      L9: { weight: 1, hits: 1 },
      L10: { weight: 1, hits: 0 },
    });
  });

  it.each([
    ['SF:src/a.ts\nDA:1\nend_of_record\n', /lcov.info:2: DA needs line,hits; got '1'/],
    ['SF:src/a.ts\nDA:1,\nend_of_record\n', /lcov.info:2: DA hits '' is not a whole number/],
    ['SF:src/a.ts\nDA:1,2x\nend_of_record\n', /lcov.info:2: DA hits '2x' is not a whole number/],
    ['SF:src/a.ts\nDA:1,-3\nend_of_record\n', /lcov.info:2: DA hits -3 is negative/],
    ['SF:src/a.ts\nDA:1,1\n', /lcov.info:2: the file ends inside an SF record/],
    ['DA:1,1\n', /lcov.info:1: DA outside an SF record/],
  ])('fails on malformed input %j with the file, line and problem', async (content, message) => {
    const root = repo({ 'src/a.ts': SOURCE, 'lcov.info': content });
    await expect(readReports(['lcov.info'], root, [])).rejects.toThrow(message);
  });
});

describe('Go coverprofiles', () => {
  const goRepo = (profile: string) =>
    repo({
      'svc/go.mod': 'module github.com/mpac/svc-smarttab\n\ngo 1.23\n',
      'svc/handler/h.go': `package handler\n${SOURCE}`,
      'cover.out': profile,
    });

  it('maps import paths through go.mod and merges blocks with the same span, statement-weighted', async () => {
    const root = goRepo(
      'mode: set\ngithub.com/mpac/svc-smarttab/handler/h.go:3.20,5.2 2 0\ngithub.com/mpac/svc-smarttab/handler/h.go:7.20,9.2 3 1\n' +
        'mode: set\ngithub.com/mpac/svc-smarttab/handler/h.go:3.20,5.2 2 1\n',
    );
    const { map } = await readReports(['cover.out'], root, []);
    expect([...map.keys()]).toEqual(['svc/handler/h.go']);
    expect(evaluate(map, NO_CONFIG, 'line', 80).totals.lines).toEqual({
      covered: 5,
      total: 5,
    });
  });

  it('refuses blocks whose statement counts disagree', async () => {
    const root = goRepo(
      'mode: count\ngithub.com/mpac/svc-smarttab/handler/h.go:3.20,5.2 2 0\ngithub.com/mpac/svc-smarttab/handler/h.go:3.20,5.2 4 1\n',
    );
    await expect(readReports(['cover.out'], root, [])).rejects.toThrow(
      /cover.out:3: svc\/handler\/h.go block 3.20-5.2 has 4 statements here and 2 elsewhere/,
    );
  });

  it.each([
    'github.com/mpac/svc-smarttab/handler/h.go:3.20,5.2 2',
    'github.com/mpac/svc-smarttab/handler/h.go:3.20-5.2 2 1',
    'github.com/mpac/svc-smarttab/handler/h.go:3.20,5.2 2 x',
    'github.com/mpac/svc-smarttab/handler/h.go:3.20,5.2  2 1',
    '3.20,5.2 2 1',
  ])('refuses %j, naming the profile and line', async (block) => {
    const root = goRepo(`mode: set\n${block}\n`);
    await expect(readReports(['cover.out'], root, [])).rejects.toThrow(
      /cover.out:2: '.*' is not a coverprofile block \(file.go:l.c,l.c statements count\)/,
    );
  });

  it('reads a path with spaces and a CRLF profile as go test writes them', async () => {
    const root = repo({
      'my svc/go.mod': 'module example.com/my\n',
      'my svc/a b.go': `package my\n${SOURCE}`,
      'cover.out': 'mode: count\r\nexample.com/my/a b.go:1.2,3.4 5 6\r\n',
    });
    const { map } = await readReports(['cover.out'], root, []);
    expect(Object.fromEntries(map.get('my svc/a b.go')!.units)).toEqual({
      'B1.2-3.4': { weight: 5, hits: 6 },
    });
  });
});

describe('Cobertura and JSON reports', () => {
  it('counts <line> hits, never the rate attributes, and resolves filenames against <source>', async () => {
    const root = repo({ 'services/portal/app/main.py': SOURCE });
    writeFileSync(
      path.join(root, 'coverage.xml'),
      `<?xml version="1.0" ?><coverage line-rate="1.0" branch-rate="1.0"><sources><source>${root}/services/portal</source></sources><packages><package><classes>` +
        `<class name="main.py" filename="app/main.py" line-rate="1"><methods/><lines><line number="1" hits="1"/><line number="2" hits="0" branch="true" condition-coverage="50% (1/2)"/></lines></class>` +
        `</classes></package></packages></coverage>`,
    );
    const { map } = await readReports(['coverage.xml'], root, []);
    const result = evaluate(map, NO_CONFIG, 'line', 80);
    expect([...map.keys()]).toEqual(['services/portal/app/main.py']);
    expect(result.totals.lines).toEqual({ covered: 1, total: 2 });
    expect(result.totals.branches).toEqual({ covered: 1, total: 2 });
  });

  it('reads a DOCTYPE as text and never expands entities it declares', async () => {
    const root = repo({
      'coverage.xml':
        '<?xml version="1.0"?>\n<!DOCTYPE coverage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<coverage><packages><package><classes><class filename="&xxe;"><lines/></class></classes></package></packages></coverage>',
    });
    await expect(readReports(['coverage.xml'], root, [])).rejects.toThrow(
      /coverage.xml:3: .*undefined entity/,
    );
  });

  it('fails on truncated XML with the line', async () => {
    const root = repo({ 'coverage.xml': '<?xml version="1.0" ?>\n<coverage>\n<packages><package>' });
    await expect(readReports(['coverage.xml'], root, [])).rejects.toThrow(
      /coverage.xml:3: .*truncated|coverage.xml:\d+: .*unclosed/i,
    );
  });

  it('reads coverage.py JSON and Istanbul coverage-final.json', async () => {
    const root = repo({
      'a.py': SOURCE,
      'web/b.ts': SOURCE,
      'coverage.json': JSON.stringify({
        meta: { version: '7.6.1' },
        files: { 'a.py': { executed_lines: [1, 2, 3], missing_lines: [4] } },
      }),
      'coverage-final.json': JSON.stringify({
        'web/b.ts': {
          path: 'web/b.ts',
          statementMap: { 0: { start: { line: 1 } }, 1: { start: { line: 1 } }, 2: { start: { line: 2 } } },
          s: { 0: 0, 1: 4, 2: 0 },
          fnMap: {},
          f: {},
          b: {},
        },
      }),
    });
    const { map } = await readReports(['coverage.json', 'coverage-final.json'], root, []);
    expect(evaluate(map, NO_CONFIG, 'line', 80).totals.lines).toEqual({
      covered: 4,
      total: 6,
    });
  });
});

describe('paths', () => {
  it('lists paths that match nothing and suggests the path-map that fixes them', async () => {
    const root = repo({
      'services/portal/app.py': SOURCE,
      'lcov.info': 'SF:build/ci/services/portal/app.py\nDA:1,1\nend_of_record\n',
    });
    await expect(readReports(['lcov.info'], root, [])).rejects.toThrow(
      /1 file\(s\) in the reports match nothing in the repository: build\/ci\/services\/portal\/app.py\. A path-map entry .* 'build\/ci\/': ''/,
    );
    const { map } = await readReports(['lcov.info'], root, [['build/ci/', '']]);
    expect([...map.keys()]).toEqual(['services/portal/app.py']);
  });

  it('refuses an absolute path outside the workspace', async () => {
    const root = repo({ 'lcov.info': 'SF:/etc/passwd\nDA:1,1\nend_of_record\n' });
    await expect(readReports(['lcov.info'], root, [])).rejects.toThrow(
      /'\/etc\/passwd' is an absolute path outside the workspace/,
    );
  });

  it('says when no report matches the globs', async () => {
    await expect(readReports(['nothing/*.info'], repo({}), [])).rejects.toThrow(
      /Input 'files' matched no report/,
    );
  });
});

describe('merged output', () => {
  it('writes LCOV and Cobertura that read back to the same totals', async () => {
    const { toCobertura, toLcov } = await import('../src/merged.js');
    const root = repo({
      'svc/go.mod': 'module example.com/svc\n',
      'svc/h.go': SOURCE,
      'web/a.ts': SOURCE,
      'cover.out': 'mode: set\nexample.com/svc/h.go:3.1,4.2 2 1\nexample.com/svc/h.go:6.1,6.9 1 0\n',
      'lcov.info': 'SF:web/a.ts\nDA:1,1\nDA:2,0\nend_of_record\n',
    });
    const { map } = await readReports(['cover.out', 'lcov.info'], root, []);
    writeFileSync(path.join(root, 'merged.info'), toLcov(map));
    writeFileSync(path.join(root, 'merged.xml'), toCobertura(map));
    for (const merged of ['merged.info', 'merged.xml']) {
      const again = await readReports([merged], root, []);
      expect(evaluate(again.map, NO_CONFIG, 'line', 0).totals.lines).toEqual({ covered: 3, total: 5 });
    }
  });
});

describe('JaCoCo and Clover XML', () => {
  it('reads JaCoCo sourcefile lines and branches, with its DOCTYPE never loaded, under src/main/java', async () => {
    const root = repo({
      'svc/src/main/java/com/mpac/Pay.java': SOURCE,
      'jacoco.xml':
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">' +
        '<report name="svc"><package name="com/mpac"><class name="com/mpac/Pay" sourcefilename="Pay.java"><method name="pay" desc="()V" line="3"><counter type="METHOD" missed="0" covered="1"/></method></class>' +
        '<sourcefile name="Pay.java"><line nr="3" mi="0" ci="4" mb="1" cb="1"/><line nr="4" mi="2" ci="0" mb="0" cb="0"/><line nr="5" mi="0" ci="1" mb="0" cb="0"/></sourcefile></package></report>',
    });
    const { map } = await readReports(['jacoco.xml'], root, []);
    expect([...map.keys()]).toEqual(['svc/src/main/java/com/mpac/Pay.java']);
    const totals = evaluate(map, NO_CONFIG, 'line', 0).totals;
    expect(totals).toEqual({
      lines: { covered: 2, total: 3 },
      branches: { covered: 1, total: 2 },
      functions: { covered: 1, total: 1 },
    });
  });

  it('reads Clover statements, conditionals and methods', async () => {
    const root = repo({ 'src/Cart.php': SOURCE });
    writeFileSync(
      path.join(root, 'clover.xml'),
      `<?xml version="1.0"?><coverage generated="1" clover="4.5"><project timestamp="1"><file name="Cart.php" path="${root}/src/Cart.php">` +
        '<line num="2" type="method" name="add" count="3"/><line num="3" type="stmt" count="3"/><line num="4" type="cond" truecount="2" falsecount="0"/><line num="5" type="stmt" count="0"/>' +
        '</file></project></coverage>',
    );
    const { map } = await readReports(['clover.xml'], root, []);
    const totals = evaluate(map, NO_CONFIG, 'line', 0).totals;
    expect(totals).toEqual({
      lines: { covered: 3, total: 4 },
      branches: { covered: 1, total: 2 },
      functions: { covered: 1, total: 1 },
    });
  });
});

describe('format detection and overrides', () => {
  it('refuses binary content and an empty file, naming the file', async () => {
    const root = repo({ 'cover.bin': '\u0000\u0001\u0002', 'empty.info': '' });
    await expect(readReports(['cover.bin'], root, [])).rejects.toThrow(
      /cover.bin: binary content, not a coverage report/,
    );
    await expect(readReports(['empty.info'], root, [])).rejects.toThrow(/empty.info: the file is empty/);
  });

  it('lets the config name the format instead of detecting it', async () => {
    const root = repo({ 'a.ts': SOURCE, 'reports/a.cov': 'SF:a.ts\nDA:1,1\nend_of_record\n' });
    const { map } = await readReports(['reports/a.cov'], root, []);
    expect(evaluate(map, NO_CONFIG, 'line', 0).totals.lines).toEqual({ covered: 1, total: 1 });
    await expect(readReports(['reports/a.cov'], root, [], [['reports/*.cov', 'go']])).rejects.toThrow(
      /a.cov:1: 'SF:a.ts' is not a coverprofile block/,
    );
  });
});

describe('lines past the end of a file', () => {
  it('does not count them, and says which, when the source is in the repository', async () => {
    // A 3-line file, and a report from an older, longer version of it.
    const root = repo({
      'src/a.ts': 'export const a = 1;\nexport const b = 2;\nexport const c = 3;',
      'lcov.info': 'SF:src/a.ts\nDA:1,1\nDA:2,1\nDA:3,0\nDA:99,1\nDA:100,1\nend_of_record\n',
    });
    const { map, warnings } = await readReports(['lcov.info'], root, []);
    // Not 4 of 5 (80 %): the two lines that cannot exist raise nothing.
    expect(evaluate(map, NO_CONFIG, 'line', 80).totals.lines).toEqual({ covered: 2, total: 3 });
    expect(warnings).toEqual([
      'src/a.ts has 3 lines, but the reports count lines 99, 100: not counted (is a report older than the source?)',
    ]);
  });

  it('drops Go blocks that end past the file, keeps those inside it', async () => {
    const root = repo({
      'go.mod': 'module example.com/m\n',
      'h.go': 'package m\n\nfunc A() int {\n\treturn 1\n}\n',
      'cover.out': 'mode: set\nexample.com/m/h.go:3.15,5.2 1 1\nexample.com/m/h.go:7.15,9.2 4 0\n',
    });
    const { map, warnings } = await readReports(['cover.out'], root, []);
    expect(evaluate(map, NO_CONFIG, 'line', 80).totals.lines).toEqual({ covered: 1, total: 1 });
    expect(warnings).toEqual([
      'h.go has 5 lines, but the reports count line 9: not counted (is a report older than the source?)',
    ]);
  });

  it('counts a last line without its line end, and nothing in an empty file', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('a')).toBe(1);
    expect(lineCount('a\n')).toBe(1);
    expect(lineCount('a\r\nb')).toBe(2);
  });
});

describe('lcov 2.2 function records', () => {
  it('counts FNA hits and reads CRLF line ends', async () => {
    const root = repo({
      'a.c': SOURCE,
      'lcov.info':
        'SF:a.c\r\nFNL:0,3,9\r\nFNA:0,4,main\r\nFNL:1,12\r\nFNA:1,0,helper\r\nDA:3,4\r\nend_of_record\r\n',
    });
    const { map } = await readReports(['lcov.info'], root, []);
    expect(evaluate(map, NO_CONFIG, 'line', 0).totals).toEqual({
      lines: { covered: 1, total: 1 },
      branches: { covered: 0, total: 0 },
      functions: { covered: 1, total: 2 },
    });
  });
});
