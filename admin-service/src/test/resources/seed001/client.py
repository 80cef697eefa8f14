import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.backends import default_backend
import base64

class LicensifyProxy:
    def __init__(self, server_url):
        self.server_url = server_url
        self.proxy_key = None
    
    def activate(self, license_key, hardware_id):
        """Activate license and get proxy key"""
        response = requests.post(
            f"{self.server_url}/activate",
            json={
                "license_key": license_key,
                "hardware_id": hardware_id
            }
        )
        data = response.json()
        
        # Decrypt the proxy key
        encrypted = base64.b64decode(data["encrypted_api_key"])
        iv = base64.b64decode(data["iv"])
        
        # Use license_key as decryption key (first 32 bytes)
        key = license_key.encode()[:32].ljust(32, b'\0')
        
        cipher = Cipher(algorithms.AES(key), modes.CBC(iv), backend=default_backend())
        decryptor = cipher.decryptor()
        decrypted = decryptor.update(encrypted) + decryptor.finalize()
        
        # Remove padding
        padding_len = decrypted[-1]
        self.proxy_key = decrypted[:-padding_len].decode()
        
        return data
    
    def openai_chat(self, messages, model="gpt-3.5-turbo"):
        """Make OpenAI chat completion request via proxy"""
        if not self.proxy_key:
            raise ValueError("Must activate license first")
        
        response = requests.post(
            f"{self.server_url}/proxy/openai/v1/chat/completions",
            json={
                "proxy_key": self.proxy_key,
                "provider": "openai",
                "body": {
                    "model": model,
                    "messages": messages
                }
            }
        )
        return response.json()

# Usage
client = LicensifyProxy("https://your-server.com")
client.activate("LIC-xxx", "hw-123")
result = client.openai_chat([{"role": "user", "content": "Hello!"}])
print(result)
