"""Container health check: exit 0 when Omnivox's ``GET /healthz`` answers 200, else 1.

The port (and the host, unless it is a wildcard) comes from ``OMNIVOX_HTTP_BIND``.
"""

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    host, _, port = os.environ.get("OMNIVOX_HTTP_BIND", "0.0.0.0:8080").rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"omnivox-healthcheck: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
