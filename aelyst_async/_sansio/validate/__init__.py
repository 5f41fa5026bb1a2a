"""Checking values before they are sent, every problem named by the caller's field path:
``checks`` (text, ids, choices, page_size; ``refuse``, the one way a problem is raised),
``contact`` (contacts, identifiers, tags, filters), ``messages``, ``workspace``, ``formats``
(email, phone, language, country, URL shapes)."""
