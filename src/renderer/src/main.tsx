// Fast Refresh preamble as a same-origin module (the inline copy Vite would inject violates the CSP);
// it is empty in production builds.
import '@vitejs/plugin-react/preamble';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectApi } from './api/client';
import { App } from './App';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('#root element missing from index.html');

const { api } = connectApi();
createRoot(container).render(
  <StrictMode>
    <App api={api} />
  </StrictMode>,
);
