"""`typehole/status`: what the user should know about the model, sent when it changes.

The notification carries `{model, state, message}` with `state` one of `ok`, `degraded`, `down`;
editors show it in a status bar. Configuration mistakes (a wrong URL path, a missing API key)
also get a `window/showMessage`, once, because the user must act on them.
"""

from __future__ import annotations

from lsprotocol import types

from typehole.models.health import HealthEvent
from typehole.server.app import TypeholeServer

STATUS = "typehole/status"


def register(server: TypeholeServer) -> None:
    """Nothing to register: the status is a server-to-client notification."""


def send_status(ls: TypeholeServer, model: str, state: str, message: str) -> None:
    """Notify the client of the model's state."""
    ls.protocol.notify(STATUS, {"model": model, "state": state, "message": message})


def report_health(ls: TypeholeServer, event: HealthEvent) -> None:
    """Turn a backend's health change into a status notification (and a message when needed)."""
    state = str(getattr(event.state, "value", event.state))
    send_status(ls, event.backend, state, event.message)
    if event.is_config_error:
        ls.tell(types.MessageType.Error, f"typehole: {event.message}", once=True)
    elif state == "down":
        ls.tell(
            types.MessageType.Warning,
            f"typehole: model {event.backend} is down: {event.message}",
            once=True,
        )
