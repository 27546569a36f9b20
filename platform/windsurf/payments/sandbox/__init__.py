"""The sandbox payment gateway that ships with the project: a stand-in payment provider, not our payments logic.

It plays the provider's side for the embedded default, the demo, the tests and the checkout benchmark, with the
fixed roles of a domain of its own: ``service.py`` (its operations; the only writer of ``SandboxPayment``),
``api.py`` (its merchant API and hosted page, mounted under /sandbox-pay), ``jobs.py`` (notification delivery).
Our side talks to it only through the ``sandbox`` adapter (windsurf.payments.providers.sandbox), over HTTP.
"""
