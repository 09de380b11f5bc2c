// Colour for status words on a terminal. Off when the output is not a terminal (pipes, files,
// CI logs) and whenever NO_COLOR is set to anything non-empty (https://no-color.org); TERM=dumb
// terminals get none either. Only the foreground is set and reset, so a line stays readable
// wherever the escape codes are stripped.

export type Tone = 'good' | 'bad' | 'warn';

const CODES: Record<Tone, number> = { good: 32, bad: 31, warn: 33 };

/** Whether to colour output to a stream: `isTTY` is the stream's own (process.stderr.isTTY). */
export function colourEnabled(env: Readonly<Record<string, string | undefined>>, isTTY: boolean | undefined): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}

/** `word` in the colour of `tone`, or as it is when colour is off. */
export function paint(word: string, tone: Tone, enabled: boolean): string {
  return enabled ? `\u001b[${CODES[tone]}m${word}\u001b[39m` : word;
}

// The words that carry a status in our output, standing alone (not inside a name or a path).
const WORDS: [RegExp, Tone][] = [
  [/(?<![\w/.@-])(error:|FAILED|FAIL|failed|missing)(?![\w/.@-])/g, 'bad'],
  [/(?<![\w/.@-])(warning:|stale|interrupted)(?![\w/.@-])/g, 'warn'],
  [/(?<![\w/.@-])(published|passed|ok|unchanged|pushed)(?![\w/.@-])/g, 'good'],
];

/** A line with its status words coloured; the line itself when colour is off. */
export function colourStatusWords(line: string, enabled: boolean): string {
  if (!enabled) return line;
  let out = line;
  for (const [pattern, tone] of WORDS) out = out.replace(pattern, (word) => paint(word, tone, true));
  return out;
}
