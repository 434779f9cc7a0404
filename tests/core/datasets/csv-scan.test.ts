import { describe, expect, it } from 'vitest';
import { parseNumber, scanCsv } from '../../../src/core/datasets/csv-scan.js';
import { ExpmanError } from '../../../src/core/errors.js';

const scan = (text: string, collectValues = false) => scanCsv(Buffer.from(text), { file: 'x.csv', categorical: ['label'], collectValues });

function failure(text: string): ExpmanError {
  try {
    scan(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ExpmanError);
    return error as ExpmanError;
  }
  throw new Error('expected an error');
}

describe('parseNumber', () => {
  it.each(['0', '5.1', '-3.25', '+7', '1e3', '2.5E-4', '.5', '5.', '123456789.123456', '0.1234567890123456789'])('parses %s like Number()', (text) => {
    expect(parseNumber(Buffer.from(text), 0, text.length)).toBe(Number(text));
  });
  it.each(['', '-', 'abc', '1.2.3', '1e', '5a', 'NaN', '--1'])('rejects %j', (text) => {
    expect(parseNumber(Buffer.from(text), 0, text.length)).toBeNaN();
  });
});

describe('scanCsv', () => {
  it('reads rows, categories, values and statistics', () => {
    const result = scan('a,b,label\n1,2,x\n3,4.5,y\n\n5,6,x\n', true);
    expect(result.rows).toBe(3);
    expect(result.numericColumns).toEqual(['a', 'b']);
    expect(Array.from(result.values!)).toEqual([1, 2, 3, 4.5, 5, 6]);
    expect(result.categories.get('label')!.values).toEqual(['x', 'y']);
    expect(Array.from(result.categories.get('label')!.ids)).toEqual([0, 1, 0]);
    expect(result.stats.get('a')).toEqual({ count: 3, min: 1, max: 5, mean: 3, std: 2 });
  });

  it('handles CRLF, a BOM and a missing final newline', () => {
    const result = scan('\ufeffa,label\r\n1,x\r\n2,y');
    expect(result.header).toEqual(['a', 'label']);
    expect(result.rows).toBe(2);
    expect(result.categories.get('label')!.values).toEqual(['x', 'y']);
  });

  it('reports the exact place of a wrong column count', () => {
    const e = failure('a,b,label\n1,2,x\n3,y\n');
    expect(e.code).toBe('CSV_INVALID');
    expect(e.message).toBe('x.csv:3: expected 3 columns (a, b, label), found 2');
    expect(e.details).toMatchObject({ file: 'x.csv', line: 3 });
    expect(failure('a,label\n1,x,9\n').message).toBe('x.csv:2: expected 2 columns (a, label), found 3');
  });

  it('reports non-numeric and empty features with line, column and name', () => {
    expect(failure('a,b,label\n1,2,x\n1,abc,x\n').message).toBe('x.csv:3:2: column "b": "abc" is not a number');
    expect(failure('a,b,label\n1,,x\n').message).toBe('x.csv:2:2: empty value in column "b"');
    expect(failure('a,b,label\n1,2,\n').message).toBe('x.csv:2:3: empty value in column "label"');
  });

  it('rejects empty files, header-only files, missing label columns and quotes', () => {
    expect(failure('').message).toBe('x.csv:1: file is empty (expected a header line and data rows)');
    expect(failure('\n\n').message).toContain('file is empty');
    expect(failure('a,label\n').message).toBe('x.csv:2: no data rows after the header');
    expect(failure('a,b\n1,2\n').message).toBe('x.csv:1: missing column "label" (columns: a, b)');
    expect(failure('a,label\n1,"x"\n').message).toBe('x.csv:2:2: quoted fields are not supported (column "label"); remove the quotes, and any commas inside them');
    expect(failure('a,a,label\n1,2,x\n').message).toBe('x.csv:1:2: duplicate column name "a"');
  });

  it('a quoted label with a comma is reported as a quoted field, not as a wrong column count', () => {
    // Whichever field is checked first (the label, or a bad number before it), the quote is the reason.
    expect(failure('a,b,label\n1,2,x\n1,2,"setosa, var"\n').message).toBe('x.csv:3:3: quoted fields are not supported (column "label"); remove the quotes, and any commas inside them');
    expect(failure('a,b,label\n1,2,x\n1,two,"a,b"\n').message).toMatch(/^x\.csv:3:3: quoted fields are not supported \(column "label"\)/);
    expect(failure('a,b,label\n1,2,x\n1,2,x,y\n').message).toBe('x.csv:3: expected 3 columns (a, b, label), found 4');
  });

  it('refuses a label that is not valid UTF-8 instead of making it a new class; a real U+FFFD is fine', () => {
    const bytes = Buffer.concat([Buffer.from('a,label\n1,setosa\n2,set'), Buffer.from([0xf6]), Buffer.from('sa\n3,setosa\n')]);
    expect(() => scanCsv(bytes, { file: 'x.csv', categorical: ['label'] })).toThrow('x.csv:3:2: column "label" is not valid UTF-8 (save the file as UTF-8)');
    const header = Buffer.concat([Buffer.from('a,lab'), Buffer.from([0xe9]), Buffer.from('l\n1,x\n')]);
    expect(() => scanCsv(header, { file: 'x.csv', categorical: [] })).toThrow('x.csv:1: the header is not valid UTF-8');
    expect(scan('a,label\n1,\uFFFD\n2,x\n').categories.get('label')!.values).toEqual(['\uFFFD', 'x']);
  });
});
