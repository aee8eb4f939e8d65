// What this run builds and deploys, for the `services` job of platform.yml. Reads
// .github/services.json; gives each service a content tag, `tree-<git tree hash of its folder>`,
// which is the same for the same files whatever commit carries them (a merge commit, a squash, a
// rebase); and, on a push to the branch of an environment, leaves out every service that
// environment already runs at that tag (its newest successful GitHub deployment released it).
// `FORCE` (the dispatch input `services`: names, or `all`) deploys those services whatever runs.
// Writes the outputs `all`, `python`, `go`, `typescript`, `deploy`, `registry`, `registry-region`,
// and one line per service to the job summary.
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';

const {
  GITHUB_API_URL: api,
  GITHUB_REPOSITORY: repository,
  GITHUB_TOKEN: token,
  GITHUB_OUTPUT: output,
  GITHUB_STEP_SUMMARY: summary,
  ENVIRONMENT: environment,
  FORCE: force = '',
} = process.env;

const file = JSON.parse(readFileSync('.github/services.json', 'utf8'));
const services = file.services.map((service) => ({
  ...service,
  tag: `tree-${execFileSync('git', ['rev-parse', `HEAD:${service.path}`], { encoding: 'utf8' }).trim()}`,
}));
const forced =
  force.trim() === 'all' ? services.map((service) => service.name) : force.split(/[\s,]+/).filter(Boolean);
const unknown = forced.filter((name) => !services.some((service) => service.name === name));
if (unknown.length > 0) {
  console.log(
    `::error title=services::${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in .github/services.json; the services are ${services.map((service) => service.name).join(', ')}`,
  );
  process.exit(1);
}

async function get(path) {
  const response = await fetch(`${api}/repos/${repository}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' },
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return response.json();
}

/** The release the environment runs for each service: its newest deployment that succeeded and was not rolled back. */
async function liveReleases() {
  const live = new Map();
  const open = new Set(services.map((service) => service.name));
  for (let page = 1; page <= 10 && open.size > 0; page++) {
    const listed = await get(
      `/deployments?environment=${encodeURIComponent(environment)}&per_page=100&page=${page}`,
    );
    for (const deployment of listed) {
      const service = deployment.payload?.service;
      if (!open.has(service)) continue;
      const statuses = (await get(`/deployments/${deployment.id}/statuses`)).filter(
        (status) => status.state !== 'inactive',
      );
      if (statuses[0]?.state === 'success') {
        live.set(service, { release: deployment.payload.release, id: deployment.id });
        open.delete(service);
      } else if (statuses[0]?.state === 'failure' || statuses[0]?.state === 'error') open.delete(service);
    }
    if (listed.length < 100) break;
  }
  return live;
}

const lines = [];
let deploy = services;
if (environment) {
  const live = await liveReleases();
  deploy = services.filter((service) => {
    const image = `${file.registry}/${service.name}:${service.tag}`;
    const running = live.get(service.name);
    if (forced.includes(service.name)) {
      lines.push(`- ${service.name}: ${service.tag}, deployed because it was asked for`);
      return true;
    }
    if (running?.release === image) {
      lines.push(
        `- ${service.name}: ${environment} already runs ${service.tag} (deployment ${running.id}): skipped`,
      );
      return false;
    }
    lines.push(`- ${service.name}: ${service.tag} changed, deployed to ${environment}`);
    return true;
  });
}
const of = (language) => JSON.stringify(services.filter((service) => service.language === language));
appendFileSync(
  output,
  [
    `all=${JSON.stringify(services)}`,
    `python=${of('python')}`,
    `go=${of('go')}`,
    `typescript=${of('typescript')}`,
    `deploy=${JSON.stringify(deploy)}`,
    `registry=${file.registry}`,
    `registry-region=${file.registry.split('.')[3]}`,
  ].join('\n') + '\n',
);
if (summary && lines.length > 0)
  appendFileSync(summary, `### What this run deploys\n\n${lines.join('\n')}\n`);
console.log(lines.join('\n') || `No environment for ${process.env.GITHUB_REF}: nothing is deployed.`);
