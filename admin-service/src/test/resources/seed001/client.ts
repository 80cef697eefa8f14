import crypto from 'crypto';

class LicensifyProxy {
  private proxyKey: string | null = null;

  constructor(private serverUrl: string) {}

  async activate(licenseKey: string, hardwareId: string) {
    const response = await fetch(`${this.serverUrl}/activate`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ license_key: licenseKey, hardware_id: hardwareId })
    });
    
    const data = await response.json();
    
    // Decrypt the proxy key
    const encrypted = Buffer.from(data.encrypted_api_key, 'base64');
    const iv = Buffer.from(data.iv, 'base64');
    
    // Use license_key as decryption key (first 32 bytes)
    const key = Buffer.alloc(32);
    Buffer.from(licenseKey).copy(key);
    
    const decipher = crypto.createDecipheriv('aes-256-cbc', key, iv);
    let decrypted = decipher.update(encrypted);
    decrypted = Buffer.concat([decrypted, decipher.final()]);
    
    // Remove padding
    const paddingLen = decrypted[decrypted.length - 1];
    this.proxyKey = decrypted.slice(0, -paddingLen).toString();
    
    return data;
  }

  async openaiChat(messages: any[], model = "gpt-3.5-turbo") {
    if (!this.proxyKey) {
      throw new Error("Must activate license first");
    }

    const response = await fetch(
      `${this.serverUrl}/proxy/openai/v1/chat/completions`,
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          proxy_key: this.proxyKey,
          provider: "openai",
          body: { model, messages }
        })
      }
    );
    return response.json();
  }
}

// Usage
const client = new LicensifyProxy(
  "https://your-server.com",
  "LIC-xxx",
  "hw-123"
);
const result = await client.openaiChat([
  { role: "user", content: "Hello!" }
]);
