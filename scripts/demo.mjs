#!/usr/bin/env node
// `npm start`: the on-call story, with no AWS account. eks-drift is deployed (the baseline sweep records what
// already exists and sends one digest, blaming no one), then calls happen (each alert names who made it), then the
// next sweep finds nothing unseen. Every step is the eks-drift CLI, on one temporary state file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

process.chdir(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
const { worldAtDeploy } = createRequire(import.meta.url)('./demo-world.cjs');

const WORLD = 'examples/demo-world.json';
const CONFIG = 'examples/eks-drift.config.json';
const STORY = [
  'ec2-AuthorizeSecurityGroupIngress-ssh-world.json',
  'ec2-AuthorizeSecurityGroupIngress-ssh-world.json',
  'ec2-AuthorizeSecurityGroupIngress-failed-duplicate.json',
  'ec2-AuthorizeSecurityGroupIngress-unrelated-sg.json',
  'eks-UpdateClusterConfig-public-endpoint.json',
  'cloudtrail-StopLogging-by-arn.json',
  'ec2-AuthorizeSecurityGroupIngress-root-user.json',
  'ec2-ModifyInstanceMetadataOptions-node-imdsv1.json',
  'iam-AttachRolePolicy-creator-role.json',
  'autoscaling-CreateAutoScalingGroup-self-managed-nodes.json',
].map((f) => `events/${f}`);

const dir = mkdtempSync(join(tmpdir(), 'eks-drift-demo-'));
const atDeploy = join(dir, 'demo-world-at-deploy.json');
const state = join(dir, 'state.json');
writeFileSync(atDeploy, JSON.stringify(worldAtDeploy(JSON.parse(readFileSync(WORLD, 'utf8')))));

let status = 0;
function step(title, args) {
  process.stdout.write(`\n######## ${title}\n$ eks-drift ${args.join(' ')}\n\n`);
  const r = spawnSync(process.execPath, ['bin/eks-drift.js', ...args], { stdio: 'inherit' });
  status = Math.max(status, r.status ?? 2);
}

try {
  step('1. eks-drift is deployed: the baseline sweep records what already exists (one digest, no one blamed)', ['sweep', '--world', atDeploy, '--state', state, '--config', CONFIG]);
  step('2. then calls happen: each alert names the call and who made it', ['replay', ...STORY, '--world', WORLD, '--state', state, '--config', CONFIG]);
  step('3. the next scheduled sweep: every change was seen as it happened, nothing to send', ['sweep', '--world', WORLD, '--state', state, '--config', CONFIG]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exitCode = status;
