"""The API's rules without I/O: requests built, responses interpreted, wire names converted and
values validated, each a function over plain values (nothing here knows of asyncio or aiohttp).

Modules, import them directly (this package re-exports nothing, so importing
:mod:`.ratelimit` pulls in no validation): ``operations`` (every call in one table),
``request``, ``response``, ``ratelimit``, ``convert``, ``validate``.
"""
