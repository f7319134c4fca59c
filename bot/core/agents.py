"""Agents (the people who take conversations) and their passwords.

Passwords are stored as salted scrypt hashes (`scrypt$n$r$p$salt$hash`), slow on
purpose (~40 ms of CPU: the server runs them off its event loop, `PasswordHasher` in
bot.ports); comparison is constant-time. A new password must be long enough and hard to
guess: zxcvbn's estimate, which knows the common passwords, keyboard walks, dates and
the account's own email and name (`check_password`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from bot.errors import InputError

Role = Literal["agent", "admin"]
Status = Literal["online", "away", "offline"]
ROLES: tuple[Role, ...] = ("agent", "admin")
STATUSES: tuple[Status, ...] = ("online", "away", "offline")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MIN_PASSWORD_SCORE = 3  # zxcvbn: 0 too guessable ... 4 very unguessable

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


@dataclass(frozen=True)
class Agent:
    email: str
    name: str
    role: Role = "agent"
    languages: tuple[str, ...] = ("en",)
    skills: tuple[str, ...] = ()
    max_chats: int = 3
    status: Status = "offline"
    disabled: bool = False  # cannot log in, is not given conversations; kept for the record

    @property
    def id(self) -> str:
        return self.email

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def public(self) -> dict[str, object]:
        return {
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "languages": list(self.languages),
            "skills": list(self.skills),
            "max_chats": self.max_chats,
            "status": self.status,
            "disabled": self.disabled,
        }


def new_agent(
    email: str,
    name: str,
    role: str = "agent",
    languages: tuple[str, ...] = ("en",),
    skills: tuple[str, ...] = (),
    max_chats: int = 3,
) -> Agent:
    """An Agent from user input, or an InputError saying what is wrong."""
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise InputError(f"'{email}' is not an email address", code="invalid_email")
    if not name.strip():
        raise InputError("the agent needs a name", code="invalid_name")
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
    if max_chats < 1:
        raise InputError("max chats must be at least 1", code="invalid_capacity")
    return Agent(email, name.strip(), role, languages or ("en",), skills, max_chats)


def check_password(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    """An InputError saying why, if `password` is too short or too easy to guess
    ("password", "12345678", the account's email, a keyboard walk...)."""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password must have at least {MIN_PASSWORD} characters", code="weak_password"
        )
    words = [w for text in user_inputs for w in re.split(r"[^\w]+", text.lower()) if w]
    joined = [re.sub(r"[^\w]+", "", text.lower().partition("@")[0]) for text in user_inputs]
    # imported here: its word lists hold ~13 MB that a server setting no password never needs
    from zxcvbn import zxcvbn

    estimate = zxcvbn(password[:200], user_inputs=[*user_inputs, *words, *joined])
    if int(estimate["score"]) < MIN_PASSWORD_SCORE:
        warning = str((estimate.get("feedback") or {}).get("warning") or "").rstrip(".")
        raise InputError(
            "the password is too easy to guess"
            + (f" ({warning.lower()})" if warning else "")
            + "; use a longer passphrase of uncommon words",
            code="weak_password",
        )


def hash_password(password: str) -> str:
    """The scrypt hash of a password (its strength is checked by `check_password`)."""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password must have at least {MIN_PASSWORD} characters", code="weak_password"
        )
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(digest.hex(), expected)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a session token: a leaked table does not leak sessions."""
    return hashlib.sha256(token.encode()).hexdigest()
