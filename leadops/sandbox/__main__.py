"""``python -m leadops.sandbox``: run the provider sandbox on SANDBOX_HOST:SANDBOX_PORT."""

from __future__ import annotations

import sys

import uvicorn

from .app import base_urls, create_app
from .config import DEFAULT_STATE_FILE, ConfigError, SandboxConfig


def main() -> int:
    try:
        config = SandboxConfig.from_env(default_state_file=DEFAULT_STATE_FILE)
    except ConfigError as exc:
        print(f"sandbox: bad configuration: {exc}", file=sys.stderr)
        return 2
    root = config.public_base_url or f"http://{config.host}:{config.port}"
    print("LeadOps provider sandbox", flush=True)
    for name, url in base_urls(root).items():
        print(f"  {name:<9} {url}", flush=True)
    print(f"  state     {config.state_file or 'memory only'}", flush=True)
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
