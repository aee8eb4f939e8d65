/** `aws-twin --scenario file.json`: starts a twin and prints the endpoint and env lines to export. */
import { readFileSync } from 'node:fs';
import { SCENARIO_HELP, validateScenario, type Scenario } from './scenario.js';
import { startTwin } from './twin.js';

const USAGE = `usage: aws-twin [--scenario file.json] [--port N] [--max-runtime 3600]
Starts the AWS twin on 127.0.0.1, prints the endpoint and the environment to export, and runs
until interrupted or for --max-runtime seconds (default 3600).

${SCENARIO_HELP}`;

export async function runCli(argv: string[], print: (line: string) => void = console.log): Promise<number> {
  const options = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]!;
    if (flag === '--help' || flag === '-h') {
      print(USAGE);
      return 0;
    }
    if (!['--scenario', '--port', '--max-runtime'].includes(flag) || argv[index + 1] === undefined) {
      print(`aws-twin: unknown or incomplete option '${flag}'\n${USAGE}`);
      return 2;
    }
    options.set(flag, argv[++index]!);
  }
  let scenario: Scenario = {};
  const file = options.get('--scenario');
  if (file) {
    try {
      scenario = validateScenario(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      print(
        `aws-twin: cannot read scenario ${file}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return 2;
    }
  }
  if (options.has('--port')) scenario.port = Number(options.get('--port'));
  const maxRuntimeSeconds = Number(options.get('--max-runtime') ?? 3600);
  let twin: Awaited<ReturnType<typeof startTwin>>;
  try {
    twin = await startTwin(scenario);
  } catch (error) {
    // One line, never a minified stack.
    print(`aws-twin: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return 2;
  }
  print(`aws-twin listening on ${twin.endpoint}`);
  for (const [name, value] of Object.entries(twin.env)) print(`export ${name}=${value}`);
  for (const [name, resources] of Object.entries(twin.resources)) {
    print(
      `# ${name}: production ${resources.productionUrl}${resources.testUrl ? `, test ${resources.testUrl}` : ''}`,
    );
    print(`# ${name}: ${JSON.stringify(resources)}`);
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, maxRuntimeSeconds * 1000);
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await twin.close();
  return 0;
}
