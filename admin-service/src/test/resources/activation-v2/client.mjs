// Keygate activation v2, reference client for Node 18+ (no dependencies), using P-256 as a browser's WebCrypto would.
//
// Usage: node client.mjs SERVER_URL LICENSE_KEY HARDWARE_ID   (prints the proxy key)
//
// ECDH P-256 with an ephemeral device key, HKDF-SHA256 (salt = device SPKI || server SPKI,
// info = "keygate activation v2"), AES-256-GCM with the hardware id as associated data; sealed_key ends in the
// 16-byte tag. See docs/activation.md.
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

export async function activate(serverUrl, licenseKey, hardwareId) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const deviceSpki = publicKey.export({ type: 'spki', format: 'der' });
  const response = await fetch(`${serverUrl}/api/v1/activations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      license_key: licenseKey,
      hardware_id: hardwareId,
      public_key: deviceSpki.toString('base64'),
    }),
  });
  if (!response.ok) {
    throw new Error(`activation refused: ${response.status} ${await response.text()}`);
  }
  const sealed = await response.json();

  const serverSpki = Buffer.from(sealed.server_public_key, 'base64');
  const shared = crypto.diffieHellman({
    privateKey,
    publicKey: crypto.createPublicKey({ key: serverSpki, format: 'der', type: 'spki' }),
  });
  const key = Buffer.from(crypto.hkdfSync('sha256', shared, Buffer.concat([deviceSpki, serverSpki]),
    'keygate activation v2', 32));
  const box = Buffer.from(sealed.sealed_key, 'base64');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.nonce, 'base64'));
  decipher.setAAD(Buffer.from(hardwareId, 'utf8'));
  decipher.setAuthTag(box.subarray(box.length - 16));
  return Buffer.concat([decipher.update(box.subarray(0, box.length - 16)), decipher.final()]).toString('utf8');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [serverUrl, licenseKey, hardwareId] = process.argv.slice(2);
  console.log(await activate(serverUrl, licenseKey, hardwareId));
}
