// Builds the widget into self-contained IIFE scripts that a page loads with async: widget/dist/goldcoin.js
// (visitor views) by default, widget/dist/goldcoin-admin.js (plus the admin view) with `--mode admin`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig(({ mode }) => {
  const admin = mode === 'admin';
  return {
    root: fileURLToPath(new URL('.', import.meta.url)),
    publicDir: false,
    logLevel: 'warn',
    // Classic JSX (h calls) is a few hundred bytes smaller than the automatic runtime; the odd local names
    // keep a view's own variables from shadowing the pragma.
    oxc: {
      // development: false even when built under a test runner (NODE_ENV=test), which would add debug props.
      jsx: { runtime: 'classic', pragma: 'jsxH', pragmaFrag: 'JsxFragment', development: false },
      jsxInject: "import { h as jsxH, Fragment as JsxFragment } from 'preact'",
    },
    build: {
      outDir: 'dist',
      emptyOutDir: !admin,
      sourcemap: true,
      target: 'es2020',
      modulePreload: false,
      rolldownOptions: {
        input: fileURLToPath(new URL(admin ? 'src/admin.tsx' : 'src/main.tsx', import.meta.url)),
        // An IIFE with no exports defines no global: the only thing left on the page is the custom element.
        output: { format: 'iife', entryFileNames: admin ? 'goldcoin-admin.js' : 'goldcoin.js' },
      },
    },
  };
});
