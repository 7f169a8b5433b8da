"""What the public may see of a run, and who may write.

Manifests record the machine a run was made on (Python version, kernel, paths of the
input files, the command line). The results server is public, so every run it
answers passes through :func:`public_run`: machine details are dropped and server paths
are cut to their file names. Error messages pass through :func:`scrub_paths`.
"""

import re
from typing import Any

__all__ = ["PRIVATE_KEYS", "public_run", "public_value", "scrub_paths"]

#: Manifest keys that describe the server rather than the result (dropped at any depth).
PRIVATE_KEYS = frozenset(
    {
        "python",
        "platform",
        "machine",
        "hostname",
        "host",
        "node",
        "user",
        "username",
        "cwd",
        "executable",
        "environment",
        "env",
        "pid",
        "kernel",
        "system",
    }
)
# an absolute POSIX path (not part of a URL: no ':' or '/' or word character before it),
# a Windows path, or a home-relative path; group 1 is the last component
_PATH = re.compile(
    r"(?<![\w:/.\-~])(?:~|[A-Za-z]:)?[/\\](?:[^\s/\\'\"()\[\],;]+[/\\])+([^\s/\\'\"()\[\],;]*)"
)


def scrub_paths(text: str, names: dict[str, str] | None = None) -> str:
    """``text`` with server paths cut to their last component.

    ``names`` first replaces known strings (e.g. an upload's stored path → the name the
    client gave it).

    Examples
    --------
    >>> scrub_paths("cannot read /srv/data/uploads/9f3.csv: bad header")
    'cannot read 9f3.csv: bad header'
    >>> scrub_paths("see http://wiki.open311.org/GeoReport_v2")
    'see http://wiki.open311.org/GeoReport_v2'
    """
    for old, new in (names or {}).items():
        if old:
            text = text.replace(old, new)
    return _PATH.sub(lambda m: m.group(1) or "…", text)


def public_value(value: Any) -> Any:
    """A JSON value without :data:`PRIVATE_KEYS` and with paths scrubbed (any depth)."""
    if isinstance(value, dict):
        return {k: public_value(v) for k, v in value.items() if str(k).lower() not in PRIVATE_KEYS}
    if isinstance(value, list):
        return [public_value(v) for v in value]
    if isinstance(value, str):
        return scrub_paths(value)
    return value


def public_run(run: dict[str, Any]) -> dict[str, Any]:
    """A run as the public may see it (see the module docstring)."""
    return {k: public_value(v) for k, v in run.items()}
