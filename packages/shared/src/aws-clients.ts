/** The AWS clients of an action, from its checked AWS inputs. */
import * as core from './runner-commands.js';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsInputs } from './aws-inputs.js';
import { awsClientConfig, createAwsClients, type AwsClientClasses, type AwsClients } from './aws.js';
import { roleSessionName, webIdentityCredentials } from './credentials.js';
import { InputError } from './errors.js';
import { registerSecret } from './secrets.js';

/**
 * Clients for the action: the default credential chain, or, with `role-to-assume`, self-renewing
 * web-identity credentials from the job's OIDC token (the job needs `permissions: id-token: write`).
 * `classes` are the clients the action uses (see createAwsClients).
 */
export function awsClientsFor(
  inputs: AwsInputs,
  classes: AwsClientClasses,
  env: NodeJS.ProcessEnv = process.env,
): AwsClients {
  const base = { region: inputs['aws-region'], maxAttempts: inputs['aws-max-attempts'] };
  const roleArn = inputs['role-to-assume'];
  if (!roleArn) return createAwsClients(base, classes);
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL) {
    throw new InputError(
      'role-to-assume',
      'needs an OIDC token, but this job cannot request one; add `permissions: id-token: write` to the job',
      'arn:aws:iam::123456789012:role/github-deploy',
    );
  }
  const credentials = webIdentityCredentials({
    roleArn,
    sessionName: roleSessionName(['mpac', env.GITHUB_REPOSITORY?.split('/')[1], env.GITHUB_RUN_ID]),
    durationSeconds: Math.floor(inputs['role-duration'] / 1000),
    getIdToken: () => core.getIDToken('sts.amazonaws.com'),
    sts: new STSClient(awsClientConfig(base)),
    maskSecret: registerSecret,
  });
  return createAwsClients({ ...base, credentials }, classes);
}
