"""The workspace's languages: gettext catalogs through Flask-Babel.

Catalogs live in `service/workspace/translations/<locale>/LC_MESSAGES/messages.po`
(`messages.pot` is the template). Only the `.po` files are kept in git: at start the app
compiles them into `<instance>/translations/` (skipped while the `.mo` is newer, written
atomically, so many processes may start at once). A third language is one more `.po`
file and one more entry in `LOCALES`.

Update the catalogs after changing strings (`make i18n`):

    pybabel extract -F service/workspace/babel.cfg -o service/workspace/translations/messages.pot .
    pybabel update -i service/workspace/translations/messages.pot -d service/workspace/translations

then translate the new `msgstr`s; tests/workspace/test_i18n.py fails while a string of
the code has no translation.

The language of a page: the person's saved choice (or, before signing in, the switch's
cookie), then the browser's Accept-Language.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request
from flask_babel import Babel

CATALOGS = Path(__file__).resolve().parent / "translations"
#: Tag (as in HTML and Accept-Language) -> the catalog's folder name.
LOCALES = {"en": "en", "zh-CN": "zh_CN"}
DEFAULT_LOCALE = "en"
#: The language chosen before signing in (afterwards it is saved on the person).
LANGUAGE_COOKIE = "aftersales_lang"
#: The language switch shows each language in itself.
LANGUAGE_NAMES = {"en": "English", "zh-CN": "简体中文"}


def compile_catalogs(source: Path, target: Path) -> None:
    """Compile every `.po` under `source` to a `.mo` under `target` that is older."""
    for po in source.glob("*/LC_MESSAGES/*.po"):
        # Flask-Babel looks a catalog up by the parsed locale's name (zh_CN is zh_Hans_CN).
        folder = str(Locale.parse(po.parts[-3]))
        mo = target / folder / "LC_MESSAGES" / po.with_suffix(".mo").name
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parts[-3])
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog)
        os.replace(tmp, mo)


def page_locale() -> str:
    """The tag of the language this request is shown in."""
    if "workspace_locale" not in g:
        staff = g.get("staff")
        chosen = (staff.locale if staff is not None else None) or request.cookies.get(
            LANGUAGE_COOKIE
        )
        g.workspace_locale = (
            chosen
            if chosen in LOCALES
            else request.accept_languages.best_match(list(LOCALES), default=DEFAULT_LOCALE)
        )
    return g.workspace_locale


def _babel_locale() -> str:
    return LOCALES[page_locale()]


def init_app(app: Flask) -> None:
    compiled = Path(app.instance_path) / "translations"
    compile_catalogs(CATALOGS, compiled)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(compiled))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    Babel(app, locale_selector=_babel_locale)
