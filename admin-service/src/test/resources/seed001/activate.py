"""Runs seed 001's Python client, client.py (copied verbatim from the seed), against a Keygate server.

Usage: python3 activate.py SERVER_URL LICENSE_KEY HARDWARE_ID

client.py ends with the seed's usage example, which calls https://your-server.com; only the code above its
'# Usage' line runs. Prints the proxy key the client decrypted.
"""
import pathlib
import sys

source = pathlib.Path(__file__).with_name("client.py").read_text(encoding="utf-8")
definitions = source.split("\n# Usage\n", 1)[0]
namespace = {"__name__": "seed001_client"}
exec(compile(definitions, "client.py", "exec"), namespace)

client = namespace["LicensifyProxy"](sys.argv[1])
client.activate(sys.argv[2], sys.argv[3])
print(client.proxy_key)
