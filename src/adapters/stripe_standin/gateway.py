"""The PaymentGateway when no Stripe key is configured: the real gateway, pointed at the
stand-in, which starts on first use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Final

from adapters.stripe_gateway import StripeGateway, StripePayment
from adapters.stripe_standin.server import StripeStandIn
from domain.ports import CheckoutRequest, CheckoutSession

STANDIN_API_KEY: Final = "sk_test_lessor_standin"  # any sk_… key is accepted


class StandInGateway:
    """The PaymentGateway when no Stripe key is configured: starts the stand-in on first use
    and talks to it through the real `StripeGateway` (dummy key) over HTTP on 127.0.0.1."""

    def __init__(self, standin: StripeStandIn) -> None:
        self.standin = standin
        self._gateway: StripeGateway | None = None
        self._lock = threading.Lock()

    def _ready(self) -> StripeGateway:
        with self._lock:
            if self._gateway is None:
                self.standin.start()
                self._gateway = StripeGateway(STANDIN_API_KEY, self.standin.url)
            return self._gateway

    def open_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        return self._ready().open_checkout(request)

    def expire_checkout(self, session_id: str) -> None:
        self._ready().expire_checkout(session_id)

    def succeeded_payments(self) -> Iterator[StripePayment]:
        return self._ready().succeeded_payments()

    def close(self) -> None:
        self.standin.stop()
