// The PostgreSQL source's parser of double precision[] text (the fast path of the job's read):
// the same doubles as node-postgres's own parser, specials and NULLs, nested arrays left to it.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseFloat8Array } from '../../../src/adapters/stores/postgres.js';

const pgParser = (pg.types.getTypeParser as (oid: number, format: string) => (text: string) => unknown)(1022, 'text');

describe('parseFloat8Array', () => {
  it.each(['{}', '{1.5,2,-3e-05,1e+300,4.9406564584124654e-324,0.1,-0}', '{41,52000.5,680,12000}', '{1,NULL,NaN,Infinity,-Infinity}', '{{1,2},{3,4}}'])(
    '%s reads as node-postgres reads it',
    (text) => {
      expect(parseFloat8Array(text)).toEqual(pgParser(text));
    },
  );

  it('keeps every double exactly (PostgreSQL prints the shortest exact form)', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 40) - 20));
    expect(parseFloat8Array(`{${values.map(String).join(',')}}`)).toEqual(values);
  });
});
