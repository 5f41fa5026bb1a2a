"""The I/O edge: the :class:`~.base.Transport` interface and its aiohttp adapter."""
