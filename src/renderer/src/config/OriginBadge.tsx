import type { JSX } from 'react';
import type { ConfigOriginDto } from '../../../shared/config';
import { originLabel, originTitle } from './field-value';

/** Where a value comes from, as a small coloured tag (one colour per layer). */
export function OriginBadge({ origin }: { origin: ConfigOriginDto }): JSX.Element {
  return (
    <span className={`cfg-origin cfg-origin--${origin.kind === 'default-config.toml' ? 'defaults-file' : origin.kind}`} title={originTitle(origin)}>
      {originLabel(origin)}
    </span>
  );
}
