#!/usr/bin/env node
import module from 'node:module';
import { systemClock } from './adapters/clock.js';
import { GitLsRemote } from './adapters/git-remote.js';
import { runCli } from './cli/run-cli.js';
import { colourEnabled } from './colour.js';
import { InterruptedError } from './errors.js';
import { redactorFromEnv } from './redact.js';

// Node 22 and later keep the compiled code of the modules each command loads (dynamically, in
// run-cli.ts) on disk between runs; Node 20 has no compile cache and skips this.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// The process edge: the only place that reads process.*, installs signal handlers and sets the
// exit code. A first SIGINT/SIGTERM aborts the run (stages clean up and stop); a second one
// while cleaning up is ignored so cleanup can finish, and a third forces exit.
const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  if (signals === 1) {
    process.stderr.write(`\nreceived ${signal}: stopping, removing containers, nothing more will be pushed\n`);
    controller.abort(new InterruptedError(signal));
  } else if (signals >= 3) {
    process.stderr.write(`received ${signal} again: exiting now\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const redactor = redactorFromEnv(process.env);

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  clock: systemClock,
  redactor,
  signal: controller.signal,
  git: new GitLsRemote(systemClock),
  colour: {
    stdout: colourEnabled(process.env, process.stdout.isTTY),
    stderr: colourEnabled(process.env, process.stderr.isTTY),
  },
});
