"""Testing code that uses the SDK: a mock transport, a sandbox on a virtual clock, and the
pytest fixtures ``aelyst_sandbox`` and ``aelyst_client`` (registered by the ``aelyst_async``
pytest plugin, module ``aelyst_async_pytest``; see the README's "Testing your code").

>>> client = AelystClient("test-token", transport=MockTransport(handler))
>>> with running_sandbox(processing=2.0) as sb:
...     client = sandbox_client(sb)   # its waits follow sb.clock: no test waits
"""

from ._clock import VirtualClock
from ._mock import MockRequest, MockResponse, MockTransport
from ._sandbox import running_sandbox, sandbox_client

__all__ = [
    "MockRequest",
    "MockResponse",
    "MockTransport",
    "VirtualClock",
    "running_sandbox",
    "sandbox_client",
]
