import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * In dev, @vitejs/plugin-react injects its Fast Refresh preamble into index.html as an *inline*
 * module script, which the app's Content-Security-Policy (`script-src 'self'`) blocks. The renderer
 * entry imports `@vitejs/plugin-react/preamble` instead (an ordinary same-origin module, empty in
 * production builds), so the inline copy is dropped here to keep the CSP strict in dev as well.
 */
function dropInlineReactPreamble(): Plugin {
  return {
    name: 'expman:drop-inline-react-preamble',
    apply: 'serve',
    transformIndexHtml: {
      order: 'post',
      handler: (html) => html.replace(/<script type="module">[^<]*injectIntoGlobalHook[^<]*<\/script>\s*/g, ''),
    },
  };
}

export default defineConfig({
  // Main process: ESM (package.json "type": "module"), emitted as out/main/index.js = package.json "main".
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      lib: { entry: resolve(root, 'src/main/index.ts') },
    },
  },
  // Preload: the window runs with sandbox: true, and sandboxed preloads cannot be ES modules and can
  // only require('electron') (plus events/timers/url), so it is bundled into one CommonJS file.
  // src/main/index.ts loads it as out/preload/index.cjs.
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      lib: { entry: resolve(root, 'src/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: resolve(root, 'src/renderer/index.html') },
    },
    plugins: [react(), dropInlineReactPreamble()],
  },
});
