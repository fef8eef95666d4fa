"""`typehole/status`: what the user should know about the model, sent when it changes.

The notification carries `{model, state, message}` with `state` one of `ok`, `degraded`, `down`;
editors show it in a status bar. An outage also gets one `window/showMessage` (an error for a
configuration mistake such as a wrong URL path or a missing API key, which the user must fix; a
warning otherwise), and no other until the model is back: the requests that fail meanwhile,
fast or slow, only say so in the log.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from typehole.models.errors import ModelBackoff, ModelError, ModelRateLimited
from typehole.models.health import HealthEvent, HealthState
from typehole.server.app import TypeholeServer

log = logging.getLogger(__name__)

STATUS = "typehole/status"
# Kept in `state.reported` from the one message of an outage until a model is back.
_OUTAGE_TOLD = "typehole/status: outage told"


def register(server: TypeholeServer) -> None:
    """Nothing to register: the status is a server-to-client notification."""


def send_status(ls: TypeholeServer, model: str, state: str, message: str) -> None:
    """Notify the client of the model's state."""
    ls.protocol.notify(STATUS, {"model": model, "state": state, "message": message})


def report_health(ls: TypeholeServer, event: HealthEvent) -> None:
    """Turn a backend's health change into a status notification (and a message when needed)."""
    state = str(getattr(event.state, "value", event.state))
    send_status(ls, event.backend, state, event.message)
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
    _tell_outage(ls, types.MessageType.Warning, f"typehole: model error: {error}")


def _tell_outage(ls: TypeholeServer, kind: types.MessageType, message: str) -> None:
    if _OUTAGE_TOLD in ls.state.reported:
        log.info("%s", message)  # told once already in this outage
        return
    ls.state.reported.add(_OUTAGE_TOLD)
    ls.tell(kind, message)
