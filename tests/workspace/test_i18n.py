"""The workspace's catalogs: every string of the code is in the template and translated
in every language; pages follow the person's choice, then the browser."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from service.workspace.i18n import CATALOGS, LOCALES
from tests.workspace.conftest import post_form

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("service/workspace/**.py", "python"),
    # The report's figures and the quality rubric are shown in the workspace too.
    ("service/reports/**.py", "python"),
    ("service/quality/**.py", "python"),
    ("service/workspace/templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _code_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _msgid(message) -> str:
    return message.id[0] if message.pluralizable else message.id


def _translated(message) -> bool:
    strings = message.string if message.pluralizable else [message.string]
    return all(strings) and not message.fuzzy


def _catalog(path: Path, locale: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def test_the_template_holds_exactly_the_strings_of_the_code():
    template = {_msgid(m) for m in _catalog(CATALOGS / "messages.pot") if m.id}
    code = _code_strings()
    assert code - template == set(), "run `make i18n`: strings missing from messages.pot"
    assert template - code == set(), "run `make i18n`: stale strings in messages.pot"


def test_every_string_is_translated_in_every_language_but_english():
    code = _code_strings()
    for folder in LOCALES.values():
        if folder == "en":
            continue
        catalog = _catalog(CATALOGS / folder / "LC_MESSAGES" / "messages.po", folder)
        translated = {_msgid(m) for m in catalog if m.id and _translated(m)}
        assert code - translated == set(), f"{folder}: translate these in messages.po"


def test_the_browser_language_is_used_until_the_person_chooses(desk):
    page = desk.get("/queue", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in page.get_data(as_text=True)
    assert "工单队列" in page.get_data(as_text=True)
    post_form(desk, "/language", {"locale": "en", "next": "/queue"}, token_from="/queue")
    again = desk.get("/queue", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in again.get_data(as_text=True)


def test_the_login_page_follows_the_language_switch(client):
    response = post_form(
        client, "/language", {"locale": "zh-CN", "next": "/login"}, token_from="/login"
    )
    assert response.headers["Location"] == "/login"
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_placeholders_and_plurals_are_filled_in_both_languages(desk):
    english = desk.get("/queue").get_data(as_text=True)
    assert ">1 hour<" in english and ">4 hours<" in english
    assert "At least 10 characters." in desk.get("/account/password").get_data(as_text=True)
    chinese = desk.get("/queue", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert ">4 小时<" in chinese
    password = desk.get("/account/password", headers={"Accept-Language": "zh-CN"})
    assert "至少 10 个字符" in password.get_data(as_text=True)
