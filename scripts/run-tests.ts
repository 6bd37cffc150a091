// The test command behind `npm test` / `./make.sh test`: lint, type-check, then every test tier
// (unit next to the code, integration against the real servers, end-to-end through the proxy).
// Prints one closing line the CI reads: "tests: N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);

function step(name: string, cmd: string, args: string[]): boolean {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const started = performance.now();
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  console.log(`=== ${name}: ${result.status === 0 ? 'ok' : `FAILED (exit ${result.status})`} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result.status === 0;
}

const checks = only.length ? [] : [
  step('lint', 'npx', ['eslint', '--max-warnings=0', '.']),
  step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']),
];

const tap = join(mkdtempSync(join(tmpdir(), 'shop-tests-')), 'report.tap');
const patterns = only.length ? only : ['*/src/**/*.test.ts', '*/test/**/*.test.ts', 'test/**/*.test.ts'];
const testsOk = step('tests', process.execPath, [
  '--test', '--test-concurrency=1', '--test-timeout=300000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`,
  ...patterns,
]);

const report = readFileSync(tap, 'utf8');
const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled') + checks.filter((ok) => !ok).length;
console.log(`\n${checks.length ? `lint+typecheck: ${checks.every(Boolean) ? 'ok' : 'FAILED'}; ` : ''}skipped ${count('skipped')}, todo ${count('todo')}`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(testsOk && checks.every(Boolean) && failed === 0 && passed > 0 ? 0 : 1);
