import { useEffect, useState } from 'react';

/** The app's places, kept in the URL hash so reloads, back/forward and links work in browser and desktop. */
export type Route =
  | { view: 'home' }
  | { view: 'datasets'; name?: string }
  | { view: 'experiment'; experiment: string }
  | { view: 'run'; experiment: string; model: string; tab?: string }
  | { view: 'compare'; runs: Array<{ experiment: string; model: string }> }
  | { view: 'sweeps'; experiment?: string; name?: string };

const enc = encodeURIComponent;

export function routeHref(route: Route): string {
  switch (route.view) {
    case 'home':
      return '#/';
    case 'datasets':
      return route.name ? `#/datasets/${enc(route.name)}` : '#/datasets';
    case 'experiment':
      return `#/experiments/${enc(route.experiment)}`;
    case 'run':
      return `#/runs/${enc(route.experiment)}/${enc(route.model)}${route.tab ? `/${enc(route.tab)}` : ''}`;
    case 'sweeps':
      return route.experiment && route.name ? `#/sweeps/${enc(route.experiment)}/${enc(route.name)}` : '#/sweeps';
    case 'compare':
      return `#/compare?runs=${route.runs.map((r) => `${enc(r.experiment)}/${enc(r.model)}`).join(',')}`;
  }
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  if (parts[0] === 'datasets') return parts[1] ? { view: 'datasets', name: parts[1] } : { view: 'datasets' };
  if (parts[0] === 'experiments' && parts[1]) return { view: 'experiment', experiment: parts[1] };
  if (parts[0] === 'runs' && parts[1] && parts[2]) return { view: 'run', experiment: parts[1], model: parts[2], ...(parts[3] ? { tab: parts[3] } : {}) };
  if (parts[0] === 'sweeps') return parts[1] && parts[2] ? { view: 'sweeps', experiment: parts[1], name: parts[2] } : { view: 'sweeps' };
  if (parts[0] === 'compare') {
    const list = new URLSearchParams(query).get('runs') ?? '';
    const runs = list
      .split(',')
      .map((item) => item.split('/').map((p) => decodeURIComponent(p)))
      .filter((pair): pair is [string, string] => pair.length === 2 && pair.every(Boolean))
      .map(([experiment, model]) => ({ experiment, model }));
    return { view: 'compare', runs };
  }
  return { view: 'home' };
}

export function navigate(route: Route): void {
  location.hash = routeHref(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
