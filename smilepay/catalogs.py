"""Where the translation catalogs live, and how they are made, checked and compiled.

The project's catalog (`locale/`, LOCALE_PATHS) holds the strings of `templates/`,
`static/` (domain djangojs), the `smilepay` package and the apps; an app with a `locale/` folder
of its own keeps its strings there. `manage.py catalogs update` collects the marked
strings into every catalog, `check` says what is missing, untranslated or fuzzy, and
`compile` turns the `.po` files into the `.mo` files Django reads (docs/i18n.md).

Django's `makemessages`, run from the project's root, would sweep every folder into the
project catalog (and its `--ignore` matches folder names anywhere, `templates/accounts`
too). So it runs in a scratch folder that links exactly the sources each catalog covers.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings

# What the project catalog covers, relative to BASE_DIR: what belongs to no app. Each app
# keeps its strings in its own locale/, so that it carries its translations when it moves.
PROJECT_SOURCES = ("templates", "static", "smilepay")
# The face engine imports nothing of Django and shows nothing to a person.
IGNORED = ("smilepay/faces",)
DOMAINS = ("django", "djangojs")
# Apps that a setting leaves out of INSTALLED_APPS, whose translations are still ours.
OPTIONAL_APPS = ("demo_shop",)


def project_apps() -> list[AppConfig]:
    """The installed apps that are this project's own (not Django's, not a package's)."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        app
        for app in apps.get_app_configs()
        if Path(app.path).resolve().is_relative_to(base)
        and "site-packages" not in Path(app.path).resolve().parts
    ]


def target_languages() -> list[str]:
    """Every language but the source one (the msgids are English)."""
    return [code for code, _name in settings.LANGUAGES if code != "en"]


@dataclass(frozen=True)
class SourceApp:
    """An app of this project as the catalogs see it: a folder with its own locale/."""

    name: str
    path: str


def apps_with_catalogs() -> list[SourceApp]:
    """The installed apps with a locale/, and the optional ones (the demo shop, installed
    only with DEMO_SHOP): their catalogs are made, checked and compiled all the same."""
    found = {
        app.name: SourceApp(app.name, app.path)
        for app in project_apps()
        if app.name != "smilepay" and (Path(app.path) / "locale").is_dir()
    }
    for name in OPTIONAL_APPS:
        folder = Path(settings.BASE_DIR) / name
        if name not in found and (folder / "locale").is_dir():
            found[name] = SourceApp(name, str(folder))
    return list(found.values())


def catalog_dirs() -> list[Path]:
    """Every locale folder of the project: LOCALE_PATHS first, then the apps' own."""
    dirs = [Path(path) for path in settings.LOCALE_PATHS]
    return dirs + [Path(app.path) / "locale" for app in apps_with_catalogs()]


def po_files(locale_dir: Path) -> list[Path]:
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


# --- update -----------------------------------------------------------------------------


@contextlib.contextmanager
def _sources_view(*, fresh: bool) -> Iterator[Path]:
    """A scratch folder of links to what the catalogs cover. With `fresh`, each app's
    `locale/` is an empty folder, so that makemessages writes new catalogs there instead
    of the real ones."""
    base = Path(settings.BASE_DIR)
    with tempfile.TemporaryDirectory(prefix="smilepay-catalogs-") as scratch:
        view = Path(scratch) / "src"
        view.mkdir()
        for name in PROJECT_SOURCES:
            if (base / name).exists():
                (view / name).symlink_to(base / name)
        for app in apps_with_catalogs():
            app_dir = Path(app.path)
            linked = view / app_dir.name
            if not fresh:
                linked.symlink_to(app_dir)
                continue
            linked.mkdir()
            for child in app_dir.iterdir():
                if child.name != "locale":
                    (linked / child.name).symlink_to(child)
            (linked / "locale").mkdir()
        yield view


def _makemessages(view: Path, project_locale: Path, *, verbosity: int) -> None:
    project_locale.mkdir(parents=True, exist_ok=True)
    before = Path.cwd()
    os.chdir(view)
    try:
        with override_settings(LOCALE_PATHS=[str(project_locale)]):
            for domain in DOMAINS:
                call_command(
                    "makemessages",
                    locale=target_languages(),
                    domain=domain,
                    symlinks=True,
                    ignore_patterns=list(IGNORED),
                    no_obsolete=True,
                    add_location="file",
                    verbosity=verbosity,
                )
    finally:
        os.chdir(before)


def update(*, verbosity: int = 1) -> None:
    """Collect the marked strings of every catalog's sources into its .po files."""
    with _sources_view(fresh=False) as view:
        _makemessages(view, Path(settings.LOCALE_PATHS[0]), verbosity=verbosity)
    for locale_dir in catalog_dirs():
        for po in po_files(locale_dir):
            _drop_creation_date(po)


def _drop_creation_date(po: Path) -> None:
    """xgettext stamps the time of every run into the header: a line that would differ in
    every branch's catalog and collide at each merge, for nothing anybody reads."""
    text = po.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines(True) if not line.startswith('"POT-Creation-Date:')]
    po.write_text("".join(kept), encoding="utf-8")


# --- check ------------------------------------------------------------------------------


@dataclass
class Problems:
    missing: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    spacing: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (self.missing, self.untranslated, self.fuzzy, self.stale, self.invalid, self.spacing)
        )

    def report(self) -> str:
        lines = []
        for kind, hint in (
            ("missing", "marked in the sources but not in the catalog: run `make messages`"),
            ("untranslated", "no translation yet"),
            ("fuzzy", "marked fuzzy: check the translation and remove the flag"),
            ("stale", "in the catalog but no longer in the sources: run `make messages`"),
            ("invalid", "msgfmt refuses the catalog"),
            (
                "spacing",
                "a breakable space before : ; ! ? » or after « (docs/i18n.md: U+00A0 before : "
                "and inside « », U+202F before ; ! ?)",
            ),
        ):
            entries = getattr(self, kind)
            if entries:
                lines.append(f"{len(entries)} {kind} ({hint}):")
                lines += [f"  {entry}" for entry in entries]
        return "\n".join(lines)


def _messages(po: Path) -> dict:
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=True)
    return {(message.context, _msgid(message)): message for message in catalog if message.id}


def _msgid(message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def _label(po: Path, key: tuple) -> str:
    context, msgid = key
    where = po.relative_to(settings.BASE_DIR) if po.is_relative_to(settings.BASE_DIR) else po
    shown = msgid if len(msgid) <= 70 else msgid[:67] + "..."
    return f"{where}: {f'[{context}] ' if context else ''}{shown!r}"


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return bool(strings) and all(strings)


# French puts a space before these marks and inside guillemets; an ordinary one lets a
# line wrap there, leaving the mark alone at the start of the next line.
BREAKABLE_SPACE_IN_FRENCH = re.compile(r" [:;!?»]|« ")


def _badly_spaced(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return any(BREAKABLE_SPACE_IN_FRENCH.search(text or "") for text in strings)


def check_catalog(committed: Path, fresh: Path | None, problems: Problems) -> None:
    """Compare one committed .po with the one made fresh from the sources."""
    have = _messages(committed) if committed.exists() else {}
    want = _messages(fresh) if fresh is not None and fresh.exists() else {}
    for key in sorted(want.keys() - have.keys(), key=str):
        problems.missing.append(_label(committed, key))
    for key in sorted(have.keys() - want.keys(), key=str):
        problems.stale.append(_label(committed, key))
    for key, message in sorted(have.items(), key=lambda item: str(item[0])):
        if message.fuzzy:
            problems.fuzzy.append(_label(committed, key))
        elif not _translated(message):
            problems.untranslated.append(_label(committed, key))
        elif "fr" in committed.parts and _badly_spaced(message):
            problems.spacing.append(_label(committed, key))
    if committed.exists() and shutil.which("msgfmt"):
        result = subprocess.run(  # noqa: S603 (a fixed tool on our own file)
            ["msgfmt", "--check-format", "-o", os.devnull, str(committed)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            problems.invalid.append(f"{committed}: {result.stderr.strip()}")


def check(*, verbosity: int = 0) -> Problems:
    """Every catalog against its sources: nothing missing, untranslated, fuzzy or stale.
    Needs GNU gettext (makemessages runs xgettext)."""
    problems = Problems()
    with _sources_view(fresh=True) as view:
        fresh_project = view.parent / "locale"
        _makemessages(view, fresh_project, verbosity=verbosity)
        pairs = [(Path(settings.LOCALE_PATHS[0]), fresh_project)]
        pairs += [
            (Path(app.path) / "locale", view / Path(app.path).name / "locale")
            for app in apps_with_catalogs()
        ]
        for committed_dir, fresh_dir in pairs:
            for language in target_languages():
                for domain in DOMAINS:
                    relative = Path(language) / "LC_MESSAGES" / f"{domain}.po"
                    fresh = fresh_dir / relative
                    committed = committed_dir / relative
                    if fresh.exists() or committed.exists():
                        check_catalog(committed, fresh if fresh.exists() else None, problems)
    return problems


# --- compile ----------------------------------------------------------------------------


def stale_mo_files() -> list[Path]:
    """The .po files whose .mo is missing or older."""
    stale = []
    for locale_dir in catalog_dirs():
        for po in po_files(locale_dir):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                stale.append(po)
    return stale


def compile_catalogs(*, only_stale: bool = False) -> tuple[list[Path], str]:
    """Write each .po's .mo: with GNU msgfmt (what Django's compilemessages runs) when it
    is installed, else with babel's pure-Python writer. Returns (compiled, tool)."""
    sources = stale_mo_files() if only_stale else [po for d in catalog_dirs() for po in po_files(d)]
    tool = "msgfmt" if shutil.which("msgfmt") else "babel"
    for po in sources:
        mo = po.with_suffix(".mo")
        if tool == "msgfmt":
            subprocess.run(  # noqa: S603 (a fixed tool on our own files)
                ["msgfmt", "--check-format", "-o", str(mo), str(po)],  # noqa: S607
                check=True,
                capture_output=True,
            )
        else:
            _compile_with_babel(po, mo)
    return sources, tool


def _compile_with_babel(po: Path, mo: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    with mo.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)
