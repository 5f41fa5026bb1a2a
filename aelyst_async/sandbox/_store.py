"""The sandbox's contacts: in memory, optionally persisted to a SQLite file.

A contact is a plain dict in wire names plus its ``id``; ``custom_fields`` is a ``name -> value``
mapping (a cleared field is absent); ``assignee`` is a user id::

    {"id": 1, "firstName": "Ana", "lastName": None, "phone": None, "email": "ana@example.com",
     "language": None, "profilePic": None, "countryCode": None, "custom_fields": {"Seats": 3},
     "status": "open", "tags": ["vip"], "assignee": None, "lifecycle": None,
     "created_at": 1767225600}

Look-ups return the first (lowest id) match. Emails match whatever their case (as address books
and CRMs treat them: ``Ana@Example.com`` is ``ana@example.com``) and are stored as given; phones
match exactly.
"""

from __future__ import annotations

import bisect
import copy
import json
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from ._validation import STANDARD_FIELDS

StoredContact = dict[str, Any]
CONTACT_STATE: Mapping[str, Any] = {
    "status": "open",
    "tags": [],
    "assignee": None,
    "lifecycle": None,
    "created_at": 0,
}
"""What a contact holds beyond its fields, with the values of a new contact."""


def _index_key(kind: str, value: str) -> str:
    return value.lower() if kind == "email" else value


class Store:
    """Contacts by id with email and phone indexes; ``path`` adds write-through SQLite persistence.

    >>> store = Store()
    >>> store.create({"firstName": "Ana", "email": "ana@example.com"})
    1
    >>> store.find_by_email("ana@example.com")["firstName"]
    'Ana'
    """

    def __init__(self, path: str | None = None) -> None:
        self._contacts: dict[int, StoredContact] = {}
        self._index: dict[str, dict[str, list[int]]] = {"email": {}, "phone": {}}
        self._next_id = 1
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS contacts (id INTEGER PRIMARY KEY, data TEXT)"
            )
            for contact_id, data in self._db.execute("SELECT id, data FROM contacts ORDER BY id"):
                self._insert(contact_id, json.loads(data))

    def __len__(self) -> int:
        return len(self._contacts)

    def __contains__(self, contact_id: object) -> bool:
        return contact_id in self._contacts

    def contacts(self) -> list[StoredContact]:
        """Every contact, by id (copies)."""
        return [copy.deepcopy(self._contacts[i]) for i in sorted(self._contacts)]

    def after(self, cursor: int) -> Iterator[StoredContact]:
        """The contacts whose id is above ``cursor``, by id (the stored dicts: do not change)."""
        for contact_id in sorted(self._contacts):
            if contact_id > cursor:
                yield self._contacts[contact_id]

    def get(self, contact_id: int) -> StoredContact | None:
        """The contact with this id (a copy), or None."""
        found = self._contacts.get(contact_id)
        return copy.deepcopy(found) if found is not None else None

    def first_id(self, kind: str, value: str) -> int | None:
        """The lowest id of the contacts whose ``kind`` (``"email"``/``"phone"``) is ``value``."""
        ids = self._index[kind].get(_index_key(kind, value))
        return ids[0] if ids else None

    def find(self, kind: str, value: str) -> StoredContact | None:
        """The first contact whose ``kind`` (``"email"`` or ``"phone"``) equals ``value``."""
        contact_id = self.first_id(kind, value)
        return self.get(contact_id) if contact_id is not None else None

    def find_by_email(self, email: str) -> StoredContact | None:
        """The first contact with this email, or None."""
        return self.find("email", email)

    def find_by_phone(self, phone: str) -> StoredContact | None:
        """The first contact with this phone, or None."""
        return self.find("phone", phone)

    def create(self, fields: Mapping[str, Any], *, created_at: int = 0) -> int:
        """Store a new contact from wire-format ``fields`` (custom fields as a list or mapping);
        returns its id."""
        contact: StoredContact = {
            **dict.fromkeys(STANDARD_FIELDS),
            "custom_fields": {},
            **copy.deepcopy(CONTACT_STATE),
            "created_at": created_at,
        }
        self._apply(contact, fields)
        contact_id = self._next_id
        self._insert(contact_id, contact)
        self._persist(contact_id)
        return contact_id

    def update(self, contact_id: int, fields: Mapping[str, Any]) -> None:
        """Apply exactly the keys present in ``fields`` to contact ``contact_id`` (KeyError if
        none): ``None`` clears a field; custom fields are set or cleared one by one."""
        contact = self._contacts[contact_id]
        self._unindex(contact_id, contact)
        self._apply(contact, fields)
        self._reindex(contact_id, contact)
        self._persist(contact_id)

    def delete(self, contact_id: int) -> None:
        """Forget contact ``contact_id`` (KeyError if none)."""
        self._unindex(contact_id, self._contacts.pop(contact_id))
        if self._db is not None:
            self._db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))

    def clear(self) -> None:
        """Forget every contact; ids start at 1 again."""
        self._contacts.clear()
        for index in self._index.values():
            index.clear()
        self._next_id = 1
        if self._db is not None:
            self._db.execute("DELETE FROM contacts")

    def close(self) -> None:
        """Close the SQLite file, if any (the contacts stay readable in memory)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @staticmethod
    def _apply(contact: StoredContact, fields: Mapping[str, Any]) -> None:
        for key, value in fields.items():
            if key != "custom_fields":
                contact[key] = value
                continue
            if value is None:
                contact["custom_fields"] = {}
                continue
            pairs = (
                value.items()
                if isinstance(value, Mapping)
                else ((item["name"], item.get("value")) for item in value)
            )
            for name, field_value in pairs:
                if field_value is None:
                    contact["custom_fields"].pop(name, None)
                else:
                    contact["custom_fields"][name] = field_value

    def _insert(self, contact_id: int, fields: StoredContact) -> None:
        contact = {"id": contact_id, **copy.deepcopy(CONTACT_STATE), **fields}
        self._contacts[contact_id] = contact
        self._next_id = max(self._next_id, contact_id + 1)
        self._reindex(contact_id, contact)

    def _reindex(self, contact_id: int, contact: StoredContact) -> None:
        for kind, index in self._index.items():
            if contact.get(kind) is not None:
                key = _index_key(kind, contact[kind])
                bisect.insort(index.setdefault(key, []), contact_id)

    def _unindex(self, contact_id: int, contact: StoredContact) -> None:
        for kind, index in self._index.items():
            if contact.get(kind) is None:
                continue
            key = _index_key(kind, contact[kind])
            ids = index[key]
            ids.remove(contact_id)
            if not ids:
                del index[key]

    def _persist(self, contact_id: int) -> None:
        if self._db is not None:
            data = {k: v for k, v in self._contacts[contact_id].items() if k != "id"}
            self._db.execute(
                "INSERT OR REPLACE INTO contacts (id, data) VALUES (?, ?)",
                (contact_id, json.dumps(data)),
            )
