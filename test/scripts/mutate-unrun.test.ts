import { describe, expect, it } from 'vitest';
import { unrunSurvivors } from '../../scripts/mutate/unrun.js';

const at = (line: number) => ({ start: { line, column: 1 }, end: { line, column: 2 } });

describe('unrunSurvivors: survivors no test was run against', () => {
  it('names a survivor whose covering tests all went unrun, and nothing else', () => {
    const files = {
      'a.ts': {
        mutants: [
          { status: 'Survived', coveredBy: ['t#resolves /tmp/mp-x1'], testsCompleted: 0, location: at(3) },
          { status: 'Survived', coveredBy: ['t#stable'], testsCompleted: 1, location: at(4) },
          { status: 'Killed', coveredBy: ['t#stable'], testsCompleted: 0, location: at(5) },
          // Static mutants have no per-test coverage: all tests ran.
          { status: 'Survived', coveredBy: [], testsCompleted: 300, location: at(6) },
          { status: 'NoCoverage', location: at(7) },
        ],
      },
      'b.ts': { mutants: [{ status: 'Survived', coveredBy: ['u#x'], testsCompleted: 0, location: at(9) }] },
    };
    expect(unrunSurvivors(files)).toEqual(['a.ts:3', 'b.ts:9']);
  });
});
