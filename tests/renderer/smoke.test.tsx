import { render, screen } from '@testing-library/react';
import { expect, test } from 'vitest';

test('the renderer test environment renders React into jsdom', () => {
  render(<p>hello</p>);
  expect(screen.getByText('hello').tagName).toBe('P');
});
