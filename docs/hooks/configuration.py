"""MkDocs hook: the configuration page's tables, built from ``lineage/settings.py``.

The settings' field descriptions are the one statement of what each variable does; this hook
renders them at build time in place of the page's placeholder, so the manual cannot drift from
the code. A field without a description, or a page without the placeholder, fails the build.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

PLACEHOLDER = "<!-- settings-tables -->"
REPO_ROOT = Path(__file__).resolve().parents[2]


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri != "configuration.md":
        return markdown
    if PLACEHOLDER not in markdown:
        raise PluginError(f"docs/configuration.md lost its placeholder {PLACEHOLDER}")
    return markdown.replace(PLACEHOLDER, settings_tables())


def settings_tables() -> str:
    """One table per settings section: the top-level ``LINEAGE_`` fields, then each section."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from lineage.settings import Settings

    sections: list[type[BaseSettings]] = [Settings]
    for field in Settings.model_fields.values():
        annotation = field.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseSettings):
            sections.append(annotation)
    return "\n\n".join(_section_table(section) for section in sections)


def _section_table(section: type[BaseSettings]) -> str:
    prefix = str(section.model_config.get("env_prefix", ""))
    lines = [f"### `{prefix}*`", ""]
    summary = _summary(section)
    if summary:
        lines += [summary, ""]
    lines += ["| variable | default | description |", "|---|---|---|"]
    for name, field in section.model_fields.items():
        annotation = field.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseSettings):
            continue
        if not field.description:
            raise PluginError(f"{section.__name__}.{name} has no description")
        variable = f"`{prefix}{name.upper()}`"
        lines.append(f"| {variable} | {_default(field)} | {_cell(field.description)} |")
    return "\n".join(lines)


def _summary(section: type[BaseSettings]) -> str:
    """The first paragraph of the section's docstring, when it has one of its own."""
    doc = section.__dict__.get("__doc__")
    if not doc:
        return ""
    return _cell(inspect.cleandoc(doc).split("\n\n", 1)[0]).replace("\\|", "|")


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "unset" if not value.get_secret_value() else "(secret)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, Path):
        return f"`{_path(value)}`"
    return f"`{value}`"


def _path(path: Path) -> str:
    """Paths inside the installed packages or the home folder, as a reader would write them."""
    package_root = Path(sys.modules["lineage"].__file__ or REPO_ROOT).resolve().parents[1]
    try:
        return path.relative_to(package_root).as_posix()
    except ValueError:
        pass
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return path.as_posix()


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
