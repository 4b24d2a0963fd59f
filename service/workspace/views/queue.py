"""The queue: the home page. (Filled in by the queue work; see service.workspace.queue.)"""

from __future__ import annotations

from flask import Response

from service.workspace.pages import bp, render, staff_page


@bp.get("/queue")
@staff_page()
def queue() -> Response:
    return render("workspace/queue.html", fragment="rows")
