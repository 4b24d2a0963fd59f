"""The staff workspace: server-rendered pages for the service desk, the workshop and
supervisors, served by the same app (no front-end build).

How it works
------------
- `pages.py` holds the blueprint `bp` and what every page shares; `routes.py` wires it
  into the app (`init_app`: Flask-Babel, CSRF, error pages) and lists the page modules
  in `VIEWS`; each module under `views/` registers its routes on `bp` when imported.
- Sign-in (`sessions.py`, `views/auth.py`): e-mail + password, a server-side session in
  `staff_sessions` (the cookie holds only a random id; HttpOnly, SameSite=Lax, Secure on
  https; rotated at sign-in; ends after `STAFF_SESSION_IDLE_MINUTES`), failed sign-ins
  throttled per account and per address (`login_failures`).
- A signed-in request has `g.staff` (the `StaffUser`) and `g.principal`, the same
  `Principal` the API builds from a token, so every check written for the API applies.
- Every POST needs the CSRF token (Flask-WTF); htmx sends it from `<body hx-headers>`.
- Languages (`i18n.py`): gettext catalogs in `translations/`, compiled at start.
- Words for enum values (statuses, kinds, roles...) are in `words.py`.
- The case page (`views/case.py`, what it shows in `case_view.py`) draws one form per
  allowed action from that action's body schema (`case_forms.py`: fields, reading the
  form back, errors by path); the phone desk is `views/calls.py`.
- Static files (`static/`): our `workspace.css` and `workspace.js`, and `vendor/`
  (htmx, redoc; versions and licences in `static/vendor/VERSIONS.md`). Nothing loads
  from another host; the pages' CSP forbids it.

How to add a page
-----------------
1. Write `views/<page>.py` and add it to `VIEWS` in `routes.py`::

       from service.workspace.pages import bp, render, staff_page

       @bp.get("/goods-in")
       @staff_page()                         # any signed-in staff; or roles=DESK ...
       def goods_in() -> Response:
           rows = ...                        # call a service function with db.session()
           return render("workspace/goods_in.html", fragment="rows", rows=rows)

   `render()` returns the whole page, or for an htmx request (`HX-Request`, not
   boosted) only the block named by `fragment` of the same template (jinja2-fragments):
   one template, never two copies. An endpoint named `workspace.goods_in` or
   `workspace.admin` appears in the header's navigation by itself (`pages.NAV`);
   `workspace.new_call` fills the header's "new call" slot; the case page must be
   `workspace.case` taking `case_id` (a UUID): the queue's rows then open it
   (`pages.case_href`; until it exists they open the queue searched for the case).
2. The template extends `workspace/_base.html` and fills `title` and `content`; a
   block inside `content` (`{% block rows %}...{% endblock %}`) is what htmx swaps
   (`hx-get="..." hx-target="#rows"`). `_field.html` renders a
   labelled WTForms field with its errors; `_form_errors.html` a form's own errors.
3. Strings: `{{ _("Goods-in") }}` in templates, `gettext as _` in views, `lazy_gettext
   as _l` at import time (form labels, tables). Then `make i18n` (extracts and updates
   `translations/*/LC_MESSAGES/messages.po`) and translate the new `msgstr`s in
   `zh_CN`; tests/workspace/test_i18n.py fails until every string is translated.
4. Roles: guard the view with `@staff_page(roles=...)` using the API's role sets
   (`service.cases.transitions` DESK, WORKSHOP, SUPERVISORS; `pages.ADMINS`), and hide
   the control in the template with `{% if may(*roles) %}`. For case actions show
   exactly `allowed_actions(case, workspace_actor())`: the server refuses the rest
   anyway, because the POST goes through `perform()` as the same actor.
5. Forms: a Flask-WTF class in `forms.py` (or the page's module), `{{ form.csrf_token }}`
   in the template. A form that changes a case carries the case's `version` in a hidden
   field and posts through `actions.act(ref, action, data, version)`, which locks the
   case, refuses a stale version ("changed by X at T — reload"), validates `data` with
   the API's body schema for the action and calls `perform()` (or `dispatch.assign`),
   then commits. Render its `Outcome` (message, field errors) on failure; redirect with
   303 on success (`pages.redirect_to`).
6. Tests go in tests/workspace/: `desk`/`tech`/`boss`/`admin_in` are signed-in test
   clients, `post_form()` posts with the CSRF token; `desk_site`, `signed_in_page(role)`
   and `shoot(page, name)` drive Chromium (see tests/workspace/conftest.py). Add the
   page's path to tests/workspace/test_offline.py's list.
"""
