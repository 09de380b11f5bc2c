import { describe, expect, it } from 'vitest';
import { LineTail, StreamLogger } from '../../pipeline/log.js';
import { Redactor } from '../../pipeline/redact.js';
import { BufferSink } from '../helpers/runtime.js';

describe('Redactor', () => {
  it('hides a secret and its encoded forms', () => {
    const redactor = new Redactor();
    redactor.add('s3cr3t/pass+word', 'bot');
    const basic = Buffer.from('bot:s3cr3t/pass+word').toString('base64');
    const text = `pw=s3cr3t/pass+word url=${encodeURIComponent('s3cr3t/pass+word')} b64=${Buffer.from('s3cr3t/pass+word').toString('base64')} basic=${basic}`;
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
