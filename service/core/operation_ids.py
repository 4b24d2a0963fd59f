"""Every operation's `operationId`, made from its method and path so that a new route is
named without anyone remembering to, and the same route keeps its name:

- `GET /cases` listCases, `POST /cases` createCase, `GET|PATCH /cases/{case_ref}`
  getCase / updateCase, `DELETE /macros/{macro_id}` deleteMacro;
- nested resources name their parents: `GET /cases/{case_ref}/shipments`
  listCaseShipments, `POST` createCaseShipment;
- a path ending in a verb after an argument is that verb:
  `POST /storefronts/{id}/keys/{prefix}/revoke` revokeStorefrontKey;
- the lifecycle actions are named by the action: `receiveCase`, `sendQuote`.

`@blp.doc(operationId=...)` overrides a name that reads badly. A test holds them unique.
"""

from __future__ import annotations

#: Path words that name one thing, not a collection (GET is get..., not list...).
SINGULAR = frozenset({"me", "timeline", "survey", "sample", "export", "assignment", "review"})
#: Collections whose name has no plural form.
COLLECTIONS = frozenset({"staff"})
#: What each method does, named (a GET of a collection is `list`).
VERBS = {"get": "get", "post": "create", "patch": "update", "put": "set", "delete": "delete"}


def _pascal(word: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in word.replace("-", "_").split("_"))


def _camel(word: str) -> str:
    pascal = _pascal(word)
    return pascal[:1].lower() + pascal[1:]


def _singular(word: str) -> str:
    if word in SINGULAR or not word.endswith("s") or word.endswith("ss"):
        return word
    return word[:-1]


def operation_id(method: str, path: str) -> str:
    """The operationId of `method` on `path` (a Flask rule or an OpenAPI path)."""
    method = method.lower()
    parts = [p for p in path.split("/") if p and p not in ("api", "v1")]
    is_arg = [p.startswith(("<", "{")) for p in parts]
    if "actions" in parts:
        action = parts[parts.index("actions") + 1]
        return _camel(action) + ("" if "_" in action else "Case")
    verb = None
    last_word = parts[-1] if parts else ""
    names_a_thing = last_word.endswith("s") or last_word in SINGULAR
    if len(parts) >= 2 and not is_arg[-1] and is_arg[-2] and method == "post" and not names_a_thing:
        # POST .../{id}/revoke: the last word is what is done.
        verb, parts, is_arg = parts[-1], parts[:-1], is_arg[:-1]
    nouns = [
        (word, i + 1 < len(parts) and is_arg[i + 1])
        for i, word in enumerate(parts)
        if not is_arg[i]
    ]
    ends_in_arg = bool(is_arg) and is_arg[-1]
    if verb is None:
        last = nouns[-1][0] if nouns else ""
        plural = last.endswith("s") and last not in SINGULAR
        if method == "get" and not ends_in_arg and (plural or last in COLLECTIONS):
            verb = "list"
        else:
            verb = VERBS[method]
    words = []
    for position, (word, followed_by_arg) in enumerate(nouns):
        is_last = position == len(nouns) - 1
        keep_plural = is_last and (verb == "list" or (method == "delete" and not ends_in_arg))
        words.append(word if keep_plural or not (followed_by_arg or is_last) else _singular(word))
    return verb + "".join(_pascal(word) for word in words)
