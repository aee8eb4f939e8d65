#!/usr/bin/env node
// `npm run demo`: shows the suite working end to end on the local AWS twin. Until the twin and the
// deploy land, it says what it will show and what runs today, and shows nothing it cannot do.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
console.log(`mpac actions demo

Not yet available: the blue/green demo needs packages/aws-twin (issue #3) and
actions/blue-green-deploy (issue #4). Once they land, this command will:
  1. start the AWS twin on 127.0.0.1 with a blue/green svc-portal behind an ALB,
  2. send steady traffic through the production listener,
  3. run the bundled blue-green-deploy: 5 % -> 50 % -> 100 % with gates,
  4. plant a bad release and show the automatic rollback,
  5. print the traffic tally (zero dropped requests) and the job summary.

What runs today: every bundled action validating its inputs as a runner would.
`);
const result = spawnSync(
  process.execPath,
  [
    '--experimental-vm-modules',
    path.join(root, 'node_modules/jest/bin/jest.js'),
    'actions/__tests__/bundled.e2e.test.ts',
    '--verbose',
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
);
process.exit(result.status ?? 1);
