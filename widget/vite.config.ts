// Builds the widget into widget/dist: by default goldcoin.js (the visitor entry, a plain script that only defines the
// element) and its chunks beside it (the renderer and one per view, fetched when needed); with `--mode admin`,
// goldcoin-admin.js, one self-contained IIFE with every view plus the admin view.
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
      // JSX files only (Rolldown strips the types of .ts files itself): an injected import in a .ts file would make
      // the visitor entry, which has no JSX, load Preact.
      include: /\.tsx$/,
    },
    build: {
      outDir: 'dist',
      emptyOutDir: !admin,
      // Maps are written beside the scripts but not named in them: the plugin ships only the .js files, and a comment
      // naming a map it does not ship costs every chunk ~40 bytes gzip for a request that can only fail.
      sourcemap: 'hidden',
      target: 'es2020',
      modulePreload: false,
      // Library mode for the visitor build only because it leaves import() as written: an app build wraps each one in
      // a preload helper that reads import.meta, which a classic script may not use.
      lib: admin ? false : { entry: fileURLToPath(new URL('src/main.ts', import.meta.url)), formats: ['es'] },
      rolldownOptions: {
        ...(admin ? { input: fileURLToPath(new URL('src/admin.tsx', import.meta.url)) } : {}),
        // An IIFE with no exports defines no global: the only thing left on the page is the custom element. The visitor
        // entry is an ES build whose entry has only dynamic imports, which a classic script may use as well; chunk
        // names carry a content hash, so a new version never meets an old chunk in a cache.
        output: admin
          ? { format: 'iife', entryFileNames: 'goldcoin-admin.js', codeSplitting: false }
          : {
              format: 'es',
              // Library mode leaves whitespace for a later bundler; these files go to the browser as they are.
              minify: true,
              comments: false,
              entryFileNames: 'goldcoin.js',
              // Six characters of hash (36 bits) tell versions apart as well as eight, and goldcoin.js names eleven chunks.
              chunkFileNames: 'goldcoin-[name]-[hash:6].js',
              // As a classic script the entry's top-level names would be globals of the page: keep them in a function.
              intro: (chunk) => (chunk.isEntry ? '(()=>{' : ''),
              outro: (chunk) => (chunk.isEntry ? '})();' : ''),
              // The renderer and everything every view shares in one chunk, which the entry fetches beside the view's
              // own: one round trip after the entry, whichever view the page shows.
              codeSplitting: { groups: [{ name: 'app', test: /node_modules[\\/]preact|src[\\/](app|ui|api|styles)\./ }] },
            },
      },
    },
  };
});
