"""Password hashing (argon2) and opaque API tokens (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of nothing anyone knows: an unknown e-mail's sign-in checks against it, so that it
    takes as long as a known one's (issue 14, finding 9)."""
    return _hasher.hash(secrets.token_urlsafe(32))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# zxcvbn's cost grows with the length; the first 64 characters decide a password's strength well
# enough (and bound the check's time).
_STRENGTH_CHARS = 64
MIN_STRENGTH = 2  # zxcvbn 0-4: 2 is "somewhat guessable" (about 10^8 guesses), below refuses


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused (in Chinese), or None (issue 14, finding 20): not the e-mail or
    a part of it, not a common password and strong enough by zxcvbn (Dropbox's estimator, whose
    dictionaries hold the common-password lists)."""
    lowered = password.lower()
    local = email.lower().split("@", 1)[0]
    if email and (lowered == email.lower() or (len(local) >= 3 and local in lowered)):
        return "密码不能包含邮箱"
    inputs = [v for v in (email, local, name) if v]
    result = zxcvbn(password[:_STRENGTH_CHARS], user_inputs=inputs)
    if int(result["score"]) < MIN_STRENGTH:
        return "密码过于简单或常见，容易被猜中：请使用更长的密码，混合字母、数字和符号"
    return None
