"""`typehole/status`: what the user should know about the model, sent when it changes.

The notification carries `{model, state, message}` with `state` one of `ok`, `loading`,
`degraded`, `down`; editors show it in a status bar. Changes that happen before the client is
initialized (a local model starts loading during `initialize`) are held and sent at
`initialized`, so the first status a client sees is the model's real one, never an `ok` that
a loading model has not earned.

An outage also gets one `window/showMessage` (an error for a configuration mistake such as a
wrong URL path or a missing API key, which the user must fix; a warning otherwise), and no other
until the model is back: the requests that fail meanwhile, fast or slow, only say so in the log.

A model that loads is not an outage: it gets a progress bar (`window/workDoneProgress`) from
`loading` until it is ready or down, with one report when a completion had to be refused
meanwhile, or, for a client without progress bars, one information message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from lsprotocol import types

from typehole.models.errors import ModelBackoff, ModelError, ModelLoading, ModelRateLimited
from typehole.models.health import HealthEvent, HealthState
from typehole.server.app import TypeholeServer
from typehole.server.progress import create_token

log = logging.getLogger(__name__)

STATUS = "typehole/status"
# Kept in `state.reported` from the one message of an outage until a model is back.
_OUTAGE_TOLD = "typehole/status: outage told"


def register(server: TypeholeServer) -> None:
    """Nothing to register: the status is a server-to-client notification."""


def send_status(ls: TypeholeServer, model: str, state: str, message: str) -> None:
    """Notify the client of the model's state."""
    ls.protocol.notify(STATUS, {"model": model, "state": state, "message": message})


def announce_status(ls: TypeholeServer) -> None:
    """At `initialized`: send each model's health held until now, and `ok` for the configured
    model when nothing was heard from it (a remote model is taken to be up until a request
    says otherwise)."""
    ls.state.initialized = True
    held = dict(ls.state.health)
    if ls.state.settings.model not in held:
        send_status(ls, ls.state.settings.model, "ok", ls.state.model_description)
    for event in held.values():
        report_health(ls, event)


def report_health(ls: TypeholeServer, event: HealthEvent) -> None:
    """Turn a backend's health change into a status notification (and a message or a progress
    bar when needed); held until the client is initialized."""
    ls.state.health[event.backend] = event
    if not ls.state.initialized:
        return
    state = str(getattr(event.state, "value", event.state))
    send_status(ls, event.backend, state, event.message)
    _show_loading(ls, event)
    if event.state is HealthState.OK:
        ls.state.reported.discard(_OUTAGE_TOLD)  # the next outage is news again
    elif event.is_config_error:
        _tell_outage(ls, types.MessageType.Error, f"typehole: {event.message}")
    elif event.state is HealthState.DOWN:
        _tell_outage(ls, types.MessageType.Warning,
                     f"typehole: model {event.backend} is down: {event.message}")


def report_model_error(ls: TypeholeServer, error: ModelError) -> None:
    """Tell the user that a model request they did not ask for explicitly (a completion, a next
    edit) failed: at most one message per outage.

    A request that failed fast because the model is known to be down or rate limited says
    nothing new: the status notification and the outage's message already did.
    """
    if isinstance(error, ModelBackoff | ModelRateLimited):
        log.debug("model request skipped: %s", error)
        return
    if isinstance(error, ModelLoading):  # the status and the loading bar say so already
        log.info("%s", error)
        _waiting_for_load(ls)
        return
    _tell_outage(ls, types.MessageType.Warning, f"typehole: model error: {error}")


def _tell_outage(ls: TypeholeServer, kind: types.MessageType, message: str) -> None:
    if _OUTAGE_TOLD in ls.state.reported:
        log.info("%s", message)  # told once already in this outage
        return
    ls.state.reported.add(_OUTAGE_TOLD)
    ls.tell(kind, message)


@dataclass
class _Loading:
    """The progress bar of one loading model; `ended` gets the bar's last message."""

    title: str
    ended: asyncio.Future[str] = field(default_factory=asyncio.Future)
    token: str | None = None
    told_waiting: bool = False


def _show_loading(ls: TypeholeServer, event: HealthEvent) -> None:
    """Begin a model's loading bar when it starts loading; end it when it leaves `loading`."""
    bars: dict[str, _Loading] = ls.state.loading
    bar = bars.get(event.backend)
    if event.state is HealthState.LOADING:
        if bar is None:
            bar = bars[event.backend] = _Loading(f"typehole: loading model {event.backend}")
            window = ls.client_capabilities.window
            if window is not None and window.work_done_progress:
                ls.spawn(_loading_bar(ls, bar, event.message))
            else:  # no progress bars: one message instead
                ls.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Info,
                    message=f"typehole: {event.message}; completions start when it is ready",
                ))
        elif bar.token is not None:  # loading again (a new engine for a changed entry)
            report = types.WorkDoneProgressReport(message=event.message)
            ls.work_done_progress.report(bar.token, report)
    elif bar is not None:
        del bars[event.backend]
        if not bar.ended.done():
            bar.ended.set_result(event.message)


async def _loading_bar(ls: TypeholeServer, bar: _Loading, message: str) -> None:
    token = await create_token(ls)
    if token is None:  # the client refused the bar: the status bar says it all
        return
    bar.token = token
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=bar.title,
                                                                   message=message))
    outcome = "cancelled"
    try:
        outcome = await bar.ended
    finally:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))


def _waiting_for_load(ls: TypeholeServer) -> None:
    """A completion was refused because a model is loading: say so once on its bar."""
    for bar in ls.state.loading.values():
        if bar.token is not None and not bar.told_waiting:
            bar.told_waiting = True
            report = types.WorkDoneProgressReport(
                message="completions start when the model is ready"
            )
            ls.work_done_progress.report(bar.token, report)
