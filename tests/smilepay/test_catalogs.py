"""The translation catalogs: every string marked in templates/, static/ and smilepay/ is in
the French catalog and translated (nothing fuzzy, nothing stale), and catalogs compile
with GNU msgfmt or, where it is missing, with babel into files Django reads."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from smilepay import catalogs
from tests.services import REPO, clean_env, python, service_missing


def needs_gettext() -> None:
    if not shutil.which("xgettext"):
        service_missing("GNU gettext is not installed (apt-get install gettext)")


@pytest.mark.slow
def test_every_marked_string_is_in_the_catalogs_and_translated(tmp_path):
    needs_gettext()
    result = subprocess.run(
        [python(), "manage.py", "catalogs", "check"],
        cwd=REPO,
        env=clean_env(SMILEPAY_LOCAL_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def write_catalog(path: Path, entries: list[tuple[str, str, bool]]) -> Path:
    catalog = Catalog(locale="fr")
    for msgid, msgstr, fuzzy in entries:
        catalog.add(msgid, msgstr, flags=["fuzzy"] if fuzzy else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


def test_the_check_names_missing_untranslated_fuzzy_and_stale_entries(tmp_path):
    committed = write_catalog(
        tmp_path / "committed.po",
        [
            ("Pay", "Payer", False),
            ("Smile", "", False),
            ("Wave", "Salut", True),
            ("Old", "Vieux", False),
        ],
    )
    fresh = write_catalog(
        tmp_path / "fresh.po",
        [("Pay", "", False), ("Smile", "", False), ("Wave", "", False), ("New", "", False)],
    )
    problems = catalogs.Problems()
    catalogs.check_catalog(committed, fresh, problems)
    assert [p.split(": ", 1)[1] for p in problems.missing] == ["'New'"]
    assert [p.split(": ", 1)[1] for p in problems.untranslated] == ["'Smile'"]
    assert [p.split(": ", 1)[1] for p in problems.fuzzy] == ["'Wave'"]
    assert [p.split(": ", 1)[1] for p in problems.stale] == ["'Old'"]
    assert problems and "run `make messages`" in problems.report()


def test_a_complete_catalog_has_no_problems(tmp_path):
    committed = write_catalog(tmp_path / "c.po", [("Pay", "Payer", False)])
    fresh = write_catalog(tmp_path / "f.po", [("Pay", "", False)])
    problems = catalogs.Problems()
    catalogs.check_catalog(committed, fresh, problems)
    assert not problems


def test_the_check_names_french_marks_after_a_space_a_line_may_break_at(tmp_path):
    committed = write_catalog(
        tmp_path / "fr" / "committed.po",
        [
            ("Paid: %(x)s", "Payé : %(x)s", False),
            ("Wrong number?", "Mauvais numéro ?", False),
            ("Done: yes", "Fait\u00a0: oui", False),
            ("Sure?", "Sûr\u202f?", False),
        ],
    )
    fresh = write_catalog(
        tmp_path / "fresh.po",
        [(m, "", False) for m in ("Paid: %(x)s", "Wrong number?", "Done: yes", "Sure?")],
    )
    problems = catalogs.Problems()
    catalogs.check_catalog(committed, fresh, problems)
    assert [p.split(": ", 1)[1] for p in problems.spacing] == ["'Paid: %(x)s'", "'Wrong number?'"]


@pytest.mark.parametrize("tool", ["msgfmt", "babel"])
def test_compiled_catalogs_give_django_the_french_strings_and_plurals(tmp_path, tool):
    source = REPO / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    po = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    shutil.copy(source, po)
    mo = po.with_suffix(".mo")
    if tool == "msgfmt":
        if not shutil.which("msgfmt"):
            service_missing("GNU gettext is not installed (apt-get install gettext)")
        subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
    else:
        catalogs._compile_with_babel(po, mo)
    with mo.open("rb") as handle:
        french = gettext.GNUTranslations(handle)
    assert french.gettext("Smile to pay") == "Souriez pour payer"
    assert french.ngettext("%(tries)s try left.", "%(tries)s tries left.", 1).startswith(
        "%(tries)s essai "
    )
    assert french.ngettext("%(tries)s try left.", "%(tries)s tries left.", 2).endswith(
        "essais restants."
    )
    assert french.pgettext("face pay", "On") == "Activé"


def test_compiling_only_stale_catalogs_leaves_fresh_ones_alone():
    catalogs.compile_catalogs(only_stale=True)
    assert catalogs.stale_mo_files() == []
    compiled, _tool = catalogs.compile_catalogs(only_stale=True)
    assert compiled == []
