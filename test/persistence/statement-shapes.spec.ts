import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { type StatementOutput, writtenStatement } from '../../lib/persistence/statements/statement-shapes.js';

/** Only its identity matters: the shapes are kept per DataSource. */
const aDataSource = () => ({}) as DataSource;

/** A statement writer as the ledger's are: pieces, and values bound as `$n` in order. */
function writer(pieces: Array<string | { value: unknown }>) {
  let writes = 0;
  const write = (parameters: unknown[]) => (out: StatementOutput) => {
    writes++;
    for (const piece of pieces) {
      out.add(typeof piece === 'string' ? piece : `$${parameters.push(piece.value)}`);
    }
  };
  return {
    run(dataSource: DataSource) {
      const parameters: unknown[] = [];
      const text = writtenStatement(dataSource, parameters, write(parameters));
      return { text, parameters };
    },
    get writes() {
      return writes;
    },
  };
}

describe('writtenStatement', () => {
  it('writes a new shape out once and then only walks it, binding each call its own values', () => {
    const dataSource = aDataSource();
    const first = writer(['UPDATE t SET a = ', { value: 1 }, ' WHERE id = ', { value: 7 }]);
    expect(first.run(dataSource)).toEqual({ text: 'UPDATE t SET a = $1 WHERE id = $2', parameters: [1, 7] });
    expect(first.writes).toBe(2);

    const again = writer(['UPDATE t SET a = ', { value: 2 }, ' WHERE id = ', { value: 8 }]);
    expect(again.run(dataSource)).toEqual({ text: 'UPDATE t SET a = $1 WHERE id = $2', parameters: [2, 8] });
    expect(again.writes).toBe(1);
  });

  it('tells apart shapes that share a beginning, or one that is the beginning of another', () => {
    const dataSource = aDataSource();
    const shapes = [
      ['SELECT a FROM t WHERE x = ', { value: 1 }],
      ['SELECT a FROM t WHERE x = ', { value: 1 }, ' AND y IS NULL'],
      ['SELECT a FROM t WHERE x = ', { value: 1 }, ' AND y = ', { value: 2 }],
      ['SELECT a FROM t WHERE x', ' IS NULL'],
    ];
    const texts = () => shapes.map((pieces) => writer(pieces).run(dataSource).text);
    const expected = [
      'SELECT a FROM t WHERE x = $1',
      'SELECT a FROM t WHERE x = $1 AND y IS NULL',
      'SELECT a FROM t WHERE x = $1 AND y = $2',
      'SELECT a FROM t WHERE x IS NULL',
    ];
    expect(texts()).toEqual(expected);
    expect(texts()).toEqual(expected);
  });

  it('keeps the shapes of each DataSource apart', () => {
    const [one, other] = [aDataSource(), aDataSource()];
    writer(['SELECT 1']).run(one);
    const elsewhere = writer(['SELECT 1']);
    elsewhere.run(other);
    expect(elsewhere.writes).toBe(2);
  });

  it('still writes every statement out once it keeps no more shapes', () => {
    const dataSource = aDataSource();
    // More pieces than the shapes may hold: this one cannot be kept, and is written out each time.
    const long = Array.from({ length: 20_001 }, (_, i) => ` c${i}`);
    for (let round = 0; round < 2; round++) {
      const statement = writer(['SELECT', ...long, ' FROM t WHERE id = ', { value: round }]);
      expect(statement.run(dataSource)).toEqual({
        text: `SELECT${long.join('')} FROM t WHERE id = $1`,
        parameters: [round],
      });
      expect(statement.writes).toBe(2);
    }
    const short = writer(['SELECT 2']);
    expect(short.run(dataSource).text).toBe('SELECT 2');
  });
});
