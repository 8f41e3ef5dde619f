// electron-builder `afterPack` hook: flip the Electron fuses listed in build/fuses.json on the packaged
// binary (docs/tutorial/fuses.md). Needs the `@electron/fuses` package, which is not installed on the
// offline build machines (nor is electron-builder); install it where packaging happens:
//   npm install --no-save @electron/fuses && npx electron-builder --config.afterPack=build/after-pack.mjs
// Check the result with: npx @electron/fuses read --app <packaged executable>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export default async function afterPack(context) {
  const { flipFuses, FuseVersion, FuseV1Options } = await import('@electron/fuses');
  const wanted = JSON.parse(readFileSync(new URL('./fuses.json', import.meta.url), 'utf8'));
  const options = {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature: context.electronPlatformName === 'darwin',
  };
  for (const [name, value] of Object.entries(wanted)) {
    if (name.startsWith('$')) continue;
    if (!(name in FuseV1Options)) throw new Error(`unknown fuse ${name} in build/fuses.json`);
    options[FuseV1Options[name]] = value;
  }
  const product = context.packager.appInfo.productFilename;
  const executable =
    context.electronPlatformName === 'darwin'
      ? join(context.appOutDir, `${product}.app`)
      : context.electronPlatformName === 'win32'
        ? join(context.appOutDir, `${product}.exe`)
        : join(context.appOutDir, context.packager.executableName);
  await flipFuses(executable, options);
}
