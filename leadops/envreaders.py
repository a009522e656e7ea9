"""Typed environment readers that fail loudly (no silent fallbacks for secrets in production)."""

from pathlib import Path

import environ


def read_secret(env: environ.Env, name: str, *, default: str | None) -> str:
    """Read secret `name` from the environment, or from the file named by `<name>_FILE`.

    A missing secret without a default is a configuration error raised at start-up, so a
    production process never runs with a development key.
    """
    file_var = f"{name}_FILE"
    path = env.str(file_var, default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise environ.ImproperlyConfigured(f"{file_var}: cannot read {path}: {exc}") from exc
    value = env.str(name, default="")
    if value:
        return value
    if default is None:
        raise environ.ImproperlyConfigured(f"Set the {name} environment variable (or {file_var}).")
    return default
