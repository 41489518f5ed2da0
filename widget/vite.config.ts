// Builds the widget into one self-contained IIFE script, widget/dist/goldcoin.js, that a page loads with async.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  // Classic JSX (h calls) is a few hundred bytes smaller than the automatic runtime; the odd local names
  // keep a view's own variables from shadowing the pragma.
  oxc: {
    jsx: { runtime: 'classic', pragma: 'jsxH', pragmaFrag: 'JsxFragment' },
    jsxInject: "import { h as jsxH, Fragment as JsxFragment } from 'preact'",
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2020',
    copyPublicDir: false,
    modulePreload: false,
    rolldownOptions: {
      input: fileURLToPath(new URL('src/main.tsx', import.meta.url)),
      // An IIFE with no exports defines no global: the only thing left on the page is the custom element.
      output: { format: 'iife', entryFileNames: 'goldcoin.js' },
    },
  },
});
