// ESLint flat config (ESM: package.json has "type": "module").
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layers from './scripts/eslint-layers.mjs';

// ---- Import boundaries between the parts of the app --------------------------------------------------

/**
 * Layers: which src/ folder may import from which (ARCHITECTURE.md). The contract (shared) depends on
 * nothing; the domain (core) only on the contract; the glue around it (cli, server, main) on both — the
 * CLI also starts the browser transport (`expman ui` → server), as main is the Electron one; the
 * preload and the renderer see only the contract and reach the rest through window.api.
 */
const LAYERS = {
  shared: [],
  core: ['shared'],
  server: ['core', 'shared'],
  cli: ['core', 'shared', 'server'],
  main: ['core', 'shared'],
  preload: ['shared'],
  renderer: ['shared'],
};

// Environment bans: what each folder's code can load where it runs (no-restricted-imports, per folder).

const noElectron = {
  regex: '^electron(/|$)',
  message:
    'Only the Electron shell (src/main, src/preload) may import electron; core, CLI, shared and renderer code must run without it.',
};
const noNodePrefixed = {
  regex: '^node:',
  message: 'Node built-ins are not available here (renderer, shared types and sandboxed preload run without Node).',
};
/** Bare Node built-in names ("fs", "path", "fs/promises", ...) as `no-restricted-imports` paths. */
const bareNodeBuiltins = (message) =>
  builtinModules.filter((name) => !name.startsWith('_')).map((name) => ({ name, message }));
const nodeBuiltinsMessage = 'Node built-ins are not available here (renderer, shared types and sandboxed preload run without Node).';
const restrictImports = (patterns, paths = []) => ['error', { patterns, paths }];

export default defineConfig(
  globalIgnores([
    'out/',
    'node_modules/',
    'dist/',
    'coverage/',
    'test-output/',
    'scratch/',
    '.gpu/',
    'bench/output/',
    'data/',
  ]),

  js.configs.recommended,
  {
    files: ['src/**'],
    plugins: { layers },
    rules: { 'layers/import-direction': ['error', { root: 'src', layers: LAYERS }] },
  },
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // Non-null assertions are used deliberately alongside noUncheckedIndexedAccess.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Type-only imports are erased by the bundlers; `import('x').T` annotations stay allowed.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Async functions without `await` are the normal way to satisfy Promise-returning callback
      // contracts (tfjs callbacks, test doubles); floating/misused promises are still caught.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // Plain JavaScript (bin/, scripts/, bench/*.mjs, this file) and its declaration files (bench/*.d.mts):
  // not part of a tsconfig, so no type-aware rules.
  {
    files: ['**/*.{js,mjs,cjs}', '**/*.d.mts'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },

  // Node-side code: core, CLI, tests, benchmarks, tool configs.
  {
    files: ['src/core/**', 'src/cli/**', 'src/server/**', 'tests/**', 'bench/**', 'scripts/**', 'bin/**', '*.config.{ts,js,mjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['src/core/**', 'src/cli/**', 'src/server/**'],
    rules: { 'no-restricted-imports': restrictImports([noElectron]) },
  },
  // Tests read the JSON the CLI and core write (JSON.parse -> any) and check its shape with assertions,
  // which do at run time what the no-unsafe-* rules would demand types for. Source code stays strict.
  {
    files: ['tests/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  // Electron main process: Node + electron.
  {
    files: ['src/main/**'],
    languageOptions: { globals: { ...globals.node } },
  },

  // Sandboxed preload: only `electron` (plus the bundled src/shared code) is loadable at run time.
  {
    files: ['src/preload/**'],
    rules: {
      'no-restricted-imports': restrictImports([noNodePrefixed], bareNodeBuiltins(nodeBuiltinsMessage)),
    },
  },

  // Types and constants shared by main, preload and renderer: no runtime dependencies.
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': restrictImports([noElectron, noNodePrefixed], bareNodeBuiltins(nodeBuiltinsMessage)),
    },
  },

  // Renderer: a browser page with no Node and no direct access to core or the main process.
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': restrictImports(
        [noElectron, noNodePrefixed],
        bareNodeBuiltins(nodeBuiltinsMessage),
      ),
    },
  },
);
