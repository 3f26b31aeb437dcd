"""ipsim: an agent-based model of why IPS employment specialists quit (Mesa 3).

``simulation.__version__`` is the installed ``ipsim`` distribution's version (what ``ipsim --version`` prints).
The version is written in one place only, ``pyproject.toml``: installing the project copies it into the
distribution's metadata, which is read here; an uninstalled source tree reads ``pyproject.toml`` itself.
"""

from __future__ import annotations

from importlib import metadata as _metadata
from pathlib import Path as _Path

DISTRIBUTION = "ipsim"


def _read_version() -> str:
    """The version of the installed ``ipsim`` distribution; for a source tree that was never installed, the
    version in its ``pyproject.toml``; ``0+unknown`` if neither can be read. Never raises."""
    try:
        return _metadata.version(DISTRIBUTION)
    except _metadata.PackageNotFoundError:
        pass
    import tomllib

    try:
        with (_Path(__file__).resolve().parent.parent / "pyproject.toml").open("rb") as fh:
            project = tomllib.load(fh).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return "0+unknown"
    version = project.get("version") if project.get("name") == DISTRIBUTION else None
    return version if isinstance(version, str) else "0+unknown"


__version__ = _read_version()
