import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BranchLogFiles } from '../../pipeline/adapters/branch-log-files.js';
import { escapeData, escapeProperty } from '../../pipeline/github-log.js';
import { LineTail, StreamLogger } from '../../pipeline/log.js';
import { Redactor } from '../../pipeline/redact.js';
import { BufferSink, fixedClock } from '../helpers/runtime.js';

describe('Redactor', () => {
  it('hides a secret and its encoded forms', () => {
    const redactor = new Redactor();
    redactor.add('s3cr3t/pass+word', 'bot');
    const basic = Buffer.from('bot:s3cr3t/pass+word').toString('base64');
    const text =
      `pw=s3cr3t/pass+word url=${encodeURIComponent('s3cr3t/pass+word')} ` +
      `b64=${Buffer.from('s3cr3t/pass+word').toString('base64')} basic=${basic}`;
    const out = redactor.redact(text);
    expect(out).toBe('pw=*** url=*** b64=***== basic=***=');
    expect(out).not.toContain(basic.slice(0, 12));
    expect(out).not.toContain('s3cr3t');
  });

  it('ignores empty and very short values, which would blank out ordinary text', () => {
    const redactor = new Redactor();
    redactor.add('');
    redactor.add('ab');
    redactor.add(undefined);
    expect(redactor.redact('about a tab')).toBe('about a tab');
  });
});

describe('StreamLogger', () => {
  it('prefixes every line with its subject, redacts, and shows detail only when verbose', () => {
    const sink = new BufferSink();
    const redactor = new Redactor();
    redactor.add('topsecret');
    const log = new StreamLogger({ sink, redactor }).child('mesos-mini@1.11.x');
    log.info('first\nsecond');
    log.warn('password topsecret refused');
    log.detail('Step 1/9 : FROM x');
    log.debug('hidden');
    expect(sink.text).toBe(
      '[mesos-mini@1.11.x] first\n[mesos-mini@1.11.x] second\n[mesos-mini@1.11.x] warning: password *** refused\n',
    );
    const verbose = new BufferSink();
    new StreamLogger({ sink: verbose, redactor, verbose: true }).child('x').detail('Step 1/9');
    expect(verbose.text).toBe('[x]   Step 1/9\n');
  });

  it('keeps a bounded tail', () => {
    const tail = new LineTail(3);
    for (const line of ['1', '2', '3', '4', '5']) tail.push(line);
    expect(tail.toArray()).toEqual(['3', '4', '5']);
  });
});

describe('StreamLogger under GitHub Actions', () => {
  const logger = (github: boolean) => {
    const sink = new BufferSink();
    const redactor = new Redactor();
    redactor.add('topsecret');
    return { sink, log: new StreamLogger({ sink, redactor, github }) };
  };

  it('folds each stage into one ::group:: named by its subject, and annotates a failure', async () => {
    const { sink, log } = logger(true);
    const image = log.child('mesos-centos@1.11.x');
    await image.group('build', (stage) => {
      stage.info('Step 1/9 : FROM centos');
      stage.child('mesos-centos@1.11.x').info('still inside');
      return Promise.resolve();
    });
    log.child('1.11.x').error('FAILED at smoke');
    log
      .child('1.11.x')
      .annotateError('1.11.x failed at smoke (mesos-mini)', 'first line\nsecond: 100% topsecret, done');
    expect(sink.text).toBe(
      [
        '::group::[mesos-centos@1.11.x] build',
        '[mesos-centos@1.11.x] Step 1/9 : FROM centos',
        '[mesos-centos@1.11.x] still inside',
        '::endgroup::',
        '[1.11.x] error: FAILED at smoke',
        '::error title=1.11.x failed at smoke (mesos-mini)::first line%0Asecond: 100%25 ***, done',
        '',
      ].join('\n'),
    );
  });

  it('writes no workflow command at all without GitHub Actions', async () => {
    const { sink, log } = logger(false);
    await log
      .child('mesos-centos@1.11.x')
      .group('build', (stage) => Promise.resolve(stage.info('Step 1/9 : FROM centos')));
    log.child('1.11.x').annotateError('1.11.x failed at build', 'build failed: exit 1');
    expect(sink.text).toBe('[mesos-centos@1.11.x] Step 1/9 : FROM centos\n');
    expect(sink.text).not.toContain('::');
  });

  it('keeps concurrent stages whole: a group opened during another waits, then is written in one piece', async () => {
    const { sink, log } = logger(true);
    let releaseFirst = (): void => undefined;
    const firstCanEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = log.child('a@master').group('build', async (stage) => {
      stage.info('a1');
      await firstCanEnd;
      stage.info('a2');
    });
    const second = log.child('b@1.11.x').group('build', (stage) => {
      stage.info('b1');
      stage.info('b2');
      return Promise.resolve();
    });
    await second;
    const third = log.child('c@1.10.x').group('build', async (stage) => {
      stage.info('c1');
      await new Promise((resolve) => setTimeout(resolve, 5));
      stage.info('c2');
    });
    releaseFirst();
    await Promise.all([first, third]);
    expect(sink.text.split('\n')).toEqual([
      '::group::[a@master] build',
      '[a@master] a1',
      '[a@master] a2',
      '::endgroup::',
      '::group::[b@1.11.x] build',
      '[b@1.11.x] b1',
      '[b@1.11.x] b2',
      '::endgroup::',
      '::group::[c@1.10.x] build',
      '[c@1.10.x] c1',
      '[c@1.10.x] c2',
      '::endgroup::',
      '',
    ]);
  });

  it('ends the group when the stage fails, and does not nest groups', async () => {
    const { sink, log } = logger(true);
    await expect(
      log.child('x@master').group('build', async (stage) => {
        await stage.group('inner', (inner) => Promise.resolve(inner.info('in')));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(sink.text).toBe('::group::[x@master] build\n[x@master] in\n::endgroup::\n');
  });

  it('never lets output pass for a workflow command', () => {
    const { sink, log } = logger(true);
    log.info('::add-mask::x\n::error::fake');
    expect(sink.text).toBe(' ::add-mask::x\n ::error::fake\n');
  });
});

describe('workflow command escaping', () => {
  it.each([
    ['a%b\r\nc', 'a%25b%0D%0Ac', 'a%25b%0D%0Ac'],
    ['x: y, z', 'x: y, z', 'x%3A y%2C z'],
  ])('escapes %j', (text, data, property) => {
    expect(escapeData(text)).toBe(data);
    expect(escapeProperty(text)).toBe(property);
  });
});

describe('branch log files', () => {
  it('keep every line of each branch, detail and debug included, stamped with the time', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mp-logs-'));
    const files = new BranchLogFiles(dir, fixedClock('2026-11-27T03:17:00.000Z'));
    const sink = new BufferSink();
    const log = new StreamLogger({ sink, redactor: new Redactor(), files });
    log.info('publishing');
    log.child('mesos-centos@1.11.x').detail('compiling\nlinking');
    log.child('1.11.x').debug('a debug line');
    log.child('mesos-mini@master').info('built');
    files.close();
    expect(readdirSync(dir).sort()).toEqual(['1.11.x.log', 'master.log', 'run.log']);
    expect(readFileSync(path.join(dir, '1.11.x.log'), 'utf8')).toBe(
      [
        '2026-11-27T03:17:00.000Z [mesos-centos@1.11.x]   compiling',
        '2026-11-27T03:17:00.000Z [mesos-centos@1.11.x]   linking',
        '2026-11-27T03:17:00.000Z [1.11.x] debug: a debug line',
        '',
      ].join('\n'),
    );
    expect(readFileSync(path.join(dir, 'run.log'), 'utf8')).toBe('2026-11-27T03:17:00.000Z publishing\n');
    // Without --verbose stderr stays short.
    expect(sink.text).toBe('publishing\n[mesos-mini@master] built\n');
    expect(log.keepsEverything).toBe(true);
  });
});
