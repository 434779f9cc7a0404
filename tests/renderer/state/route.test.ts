import { describe, expect, test } from 'vitest';
import { parseRoute, routeHref, type Route } from '../../../src/renderer/src/state/route';
import { parseOverrideLines } from '../../../src/renderer/src/views/ExperimentView';

describe('routes', () => {
  test('every route survives a round trip through the URL hash', () => {
    const routes: Route[] = [
      { view: 'home' },
      { view: 'datasets' },
      { view: 'datasets', name: 'prepared-dataset' },
      { view: 'experiment', experiment: 'exp 1' },
      { view: 'run', experiment: 'default', model: 'run-1', tab: 'logs' },
      { view: 'compare', runs: [{ experiment: 'a', model: 'r1' }, { experiment: 'b', model: 'r.2' }] },
      { view: 'sweeps' },
      { view: 'sweeps', experiment: 'e', name: 'lr-search' },
    ];
    for (const route of routes) expect(parseRoute(routeHref(route))).toEqual(route);
  });

  test('unknown or broken hashes fall back to home', () => {
    expect(parseRoute('')).toEqual({ view: 'home' });
    expect(parseRoute('#/nowhere')).toEqual({ view: 'home' });
    expect(parseRoute('#/runs/only-experiment')).toEqual({ view: 'home' });
    expect(parseRoute('#/compare?runs=a,b/c,/x')).toEqual({ view: 'compare', runs: [{ experiment: 'b', model: 'c' }] });
  });

  test('the launcher reads one override per line, skipping blanks and comments', () => {
    expect(parseOverrideLines('training.epochs=5\n\n  # note\n model.hidden_units=[8, 8] \n')).toEqual(['training.epochs=5', 'model.hidden_units=[8, 8]']);
  });
});
