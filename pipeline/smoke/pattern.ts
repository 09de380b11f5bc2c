// The regular expressions of a smoke spec. container-structure-test compiles them with Go's RE2;
// we run them as JavaScript regexes, always multiline (^ and $ also match at line ends). The few
// RE2 forms that JavaScript lacks or reads differently are translated here, so that a pattern
// copied from a c-s-t file means what it meant there instead of silently matching something else.

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/**
 * RE2 syntax to JavaScript: a leading `(?i)`, `(?s)` or `(?m)` becomes a flag, `\A` and `\z` become
 * lookarounds for the start and end of the text, `(?P<name>` becomes `(?<name>`, and POSIX
 * classes such as `[[:digit:]]` are spelled out. Throws on an unknown POSIX class.
 */
export function translatePattern(pattern: string): { source: string; flags: string } {
  let flags = 'm';
  let rest = pattern;
  const leading = /^\(\?([imsU]+)\)/.exec(rest);
  if (leading) {
    for (const flag of leading[1] as string) {
      if (flag === 'U') throw new SyntaxError('(?U) (ungreedy) has no JavaScript equivalent; write lazy quantifiers');
      if (!flags.includes(flag)) flags += flag;
    }
    rest = rest.slice(leading[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i += 1) {
    const char = rest[i] as string;
    if (char === '\\') {
      const next = rest[i + 1] ?? '';
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'z') out += '(?![\\s\\S])';
      else out += char + next;
      i += 1;
    } else if (inClass && char === '[' && rest[i + 1] === ':') {
      const end = rest.indexOf(':]', i + 2);
      const name = end < 0 ? '' : rest.slice(i + 2, end);
      const negated = name.startsWith('^');
      const spelled = POSIX_CLASSES[negated ? name.slice(1) : name];
      if (end < 0 || spelled === undefined || negated)
        throw new SyntaxError(
          `unknown POSIX class ${end < 0 ? rest.slice(i) : rest.slice(i, end + 2)}; the classes are ` +
            `${Object.keys(POSIX_CLASSES).join(', ')}`,
        );
      out += spelled;
      i = end + 1;
    } else {
      if (char === '[' && !inClass) {
        inClass = true;
        out += char;
        // A ] right after [ or [^ is a literal in both syntaxes.
        if (rest[i + 1] === '^') out += rest[++i];
        if (rest[i + 1] === ']') out += `\\${rest[++i]}`;
        continue;
      }
      if (char === ']' && inClass) inClass = false;
      if (!inClass && char === '(' && rest.startsWith('?P<', i + 1)) {
        out += '(?<';
        i += 3;
        continue;
      }
      out += char;
    }
  }
  return { source: out, flags };
}

/** Compiles a smoke-spec pattern; throws a SyntaxError that says what is wrong with it. */
export function compilePattern(pattern: string): RegExp {
  const { source, flags } = translatePattern(pattern);
  return new RegExp(source, flags);
}
