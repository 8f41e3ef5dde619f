import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// electron-vite only finds entries under src/<scope>/ by default; this project keeps the Electron
// shell in src-main/shell and the renderer in src-renderer, so every entry is explicit.
export default defineConfig({
  main: {
    build: {
      rolldownOptions: { input: { index: resolve('src-main/shell/main.ts') } },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: resolve('src-main/shell/preload.ts') },
        // Sandboxed preloads cannot be ES modules: emit CommonJS with an explicit .cjs name.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    build: {
      outDir: resolve('out/renderer'),
      rolldownOptions: { input: resolve('src-renderer/index.html') },
    },
    plugins: [react()],
  },
});
