import { expect, test } from 'vitest';
import { parseCsvText } from '../../../src/core/datasets/csv-lines.js';

test('results CSVs read with the dataset field rules: BOM, CRLF, quoted labels with commas and quotes', () => {
  const text = '\uFEFFclass,precision,recall\r\n"setosa, large",1,0.9\r\n"say ""hi""",0.5,0.25\r\nplain,0,0\r\n';
  expect(parseCsvText(text)).toEqual({
    header: ['class', 'precision', 'recall'],
    rows: [
      ['setosa, large', '1', '0.9'],
      ['say "hi"', '0.5', '0.25'],
      ['plain', '0', '0'],
    ],
  });
  expect(parseCsvText('')).toEqual({ header: [], rows: [] });
});
