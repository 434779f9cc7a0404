// ESLint rule `layers/import-direction`: which src/ folder may import which, like VS Code's local
// `code-layering` rule. `no-restricted-imports` only sees the import string, and "../core/x" means
// different folders from different depths, so this rule resolves each relative import against the file
// that makes it and compares the two top-level folders under src/.
import { dirname, relative, resolve, sep } from 'node:path';

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports between src/ folders go only in the allowed directions (see ARCHITECTURE.md).' },
    schema: [
      {
        type: 'object',
        properties: {
          /** The folder whose top-level folders are the layers (relative to the working directory). */
          root: { type: 'string' },
          /** layer → the other layers it may import from. */
          layers: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
        },
        required: ['root', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      forbidden: 'src/{{from}} must not import from src/{{to}}: {{from}} may import only {{allowed}} (layers in ARCHITECTURE.md).',
    },
  },
  create(context) {
    const { root, layers } = context.options[0];
    const srcRoot = resolve(context.cwd, root);
    /** The layer (top folder under src/) a path is in, or undefined outside src/ or in no known layer. */
    const layerOf = (path) => {
      const rel = relative(srcRoot, path);
      if (rel === '' || rel.startsWith('..')) return undefined;
      const top = rel.split(sep)[0];
      return Object.hasOwn(layers, top) ? top : undefined;
    };
    const from = layerOf(context.filename);
    if (from === undefined) return {};
    const allowed = layers[from];

    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const to = layerOf(resolve(dirname(context.filename), source.value));
      if (to === undefined || to === from || allowed.includes(to)) return;
      context.report({ node: source, messageId: 'forbidden', data: { from, to, allowed: allowed.length ? allowed.join(', ') : 'nothing from the other folders' } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      // `import('../core/x').Type` in a type annotation.
      TSImportType: (node) => {
        // typescript-eslint ≥ 8.x names the specifier `source`; before, `argument` (a TSLiteralType).
        const spec = node.source ?? node.argument;
        check(spec?.type === 'TSLiteralType' ? spec.literal : spec);
      },
    };
  },
};

export default { meta: { name: 'expman-layers' }, rules: { 'import-direction': rule } };
