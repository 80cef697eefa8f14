// Runs seed 001's TypeScript client, client.ts (copied verbatim from the seed), against a Keygate server.
//
// Usage: node activate.mjs SERVER_URL LICENSE_KEY HARDWARE_ID
//
// Node 20 cannot run TypeScript, and the client uses a constructor parameter property, which stripping types alone
// does not turn into JavaScript: the TypeScript compiler transpiles it (no type check). client.ts ends with the
// seed's usage example, which calls https://your-server.com; only the code above its '// Usage' line runs. Prints
// the proxy key the client decrypted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const [serverUrl, licenseKey, hardwareId] = process.argv.slice(2);
const source = readFileSync(new URL('./client.ts', import.meta.url), 'utf8');
const definitions = source.split('\n// Usage\n')[0];
const { outputText } = ts.transpileModule(`${definitions}\nexport { LicensifyProxy };\n`, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
});

const dir = mkdtempSync(join(tmpdir(), 'seed001-'));
try {
  const file = join(dir, 'client.mjs');
  writeFileSync(file, outputText);
  const { LicensifyProxy } = await import(pathToFileURL(file).href);
  const client = new LicensifyProxy(serverUrl);
  await client.activate(licenseKey, hardwareId);
  console.log(client.proxyKey);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
