// Stands in for @aws-sdk/credential-provider-node in the Lambda bundles only (never the CLI): Lambda always puts the
// function role's credentials in the environment, so the SSO, INI, process, web-identity and IMDS providers of the
// default chain are dead weight (about 105 KB and 12 ms of every cold start; docs/PERFORMANCE.md).
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init = {}) => fromEnv(init);
