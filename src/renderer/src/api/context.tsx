import { createContext, useContext, type JSX, type ReactNode } from 'react';
import type { ExpmanApi } from '../../../shared/api';

const ApiContext = createContext<ExpmanApi | undefined>(undefined);

export function ApiProvider({ api, children }: { api: ExpmanApi; children: ReactNode }): JSX.Element {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): ExpmanApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}
