import logging

from .pricing import tax

log = logging.getLogger(__name__)


def checkout(total):
    order = Order(total + tax(total))
    return order
