"""What the component is and how it starts: kind, framework, run command, port.

Strategies are tried in order — Django project, web app object, Streamlit/Chainlit/Panel script, Ray Serve
(:mod:`.web`), then task queue, bot, main script, console scripts, library
(:mod:`.workers`) — and the first that recognises the code decides. Each sets its fields on
the :class:`~kubify.analyzers.draft.Draft` with the file and line that justified them.
"""

from __future__ import annotations

from kubify.analyzers.draft import Draft
from kubify.analyzers.python.decision import Context, Outcome, Strategy
from kubify.analyzers.python.web import django_project, file_app, ray_serve, web_app
from kubify.analyzers.python.workers import (
    bot,
    celery_target,
    console_scripts,
    library,
    main_script,
    task_queue,
    unknown,
)

STRATEGIES: tuple[Strategy, ...] = (django_project, web_app, file_app, ray_serve, task_queue, bot, main_script,
                                    console_scripts, library)


def decide(ctx: Context, draft: Draft) -> Outcome:
    """Set kind, framework, run and ports on ``draft``; the first strategy that applies wins."""
    outcome = Outcome(celery_target=celery_target(ctx))
    for strategy in STRATEGIES:
        if strategy(ctx, draft, outcome):
            return outcome
    unknown(ctx, draft, outcome)
    return outcome
