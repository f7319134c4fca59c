"""Agent login and the checks every console and API handler makes.

Bearer tokens (never cookies), so the API is not open to cross-site request
forgery; tokens are stored hashed and expire. Login attempts are throttled per
email and per address: an attempt is counted (atomically, in the shared store)
BEFORE its password is checked, and taken back if it succeeds, so concurrent
guesses cannot all slip in before the first failure is recorded. The check itself
runs on the password hasher's thread, behind a bounded queue (503 when full).
"""

from __future__ import annotations

import time

from aiohttp import web

from bot.core.agents import Agent, new_token
from bot.errors import BusyError, InputError
from bot.ports import agent_topic
from channels.errors import json_error
from channels.keys import AGENTS, BROKER, HASHER, LIMITS, SETTINGS
from channels.wire.api import LoginBody, read_body

routes = web.RouteTableDef()

MAX_EMAIL = 254
# verify against this when the email is unknown, so timing does not reveal which emails exist
_DUMMY_HASH = "scrypt$16384$8$1$00000000000000000000000000000000$" + "0" * 64


class Unauthorized(web.HTTPUnauthorized):
    def __init__(self, message: str) -> None:
        super().__init__(
            text=f'{{"error": {{"code": "unauthorized", "message": "{message}"}}}}',
            content_type="application/json",
            headers={"WWW-Authenticate": 'Bearer realm="balcao"'},
        )


class Forbidden(web.HTTPForbidden):
    def __init__(self, message: str) -> None:
        super().__init__(
            text=f'{{"error": {{"code": "forbidden", "message": "{message}"}}}}',
            content_type="application/json",
        )


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def agent_for_token(app: web.Application, token: str | None) -> Agent | None:
    if not token or len(token) > 200:
        return None
    return await app[AGENTS].session_agent(token, time.time())


async def current_agent(request: web.Request) -> Agent:
    """The logged-in agent, or 401 (missing, unknown, expired or forged token)."""
    agent = await agent_for_token(request.app, bearer_token(request))
    if agent is None:
        raise Unauthorized("log in first: send Authorization: Bearer <token>")
    return agent


async def require_role(request: web.Request, role: str) -> Agent:
    """The logged-in agent if they have `role` ("agent" lets admins in too), else 401/403."""
    agent = await current_agent(request)
    if role == "admin" and not agent.is_admin:
        raise Forbidden("this needs the admin role")
    return agent


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    body = await read_body(request, LoginBody)
    email, password = body["email"].strip().lower(), body["password"]
    if len(email) > MAX_EMAIL:
        raise InputError("that is not an email address", code="invalid_email")
    settings = request.app[SETTINGS]
    store = request.app[AGENTS]
    limits = request.app[LIMITS]
    address = limits.address(request)
    now = time.time()
    window_s = settings.login_window_minutes * 60
    attempt = None
    if not limits.login_address_full(address, now):
        attempt = await store.reserve_login_attempt(
            [
                (f"email:{email}", settings.login_attempts_per_email),
                (f"ip:{address}", settings.login_attempts_per_address),
            ],
            now,
            window_s,
        )
    if attempt is None:
        response = json_error(429, "too_many_attempts", "too many failed logins; try again later")
        response.headers["Retry-After"] = str(int(window_s))
        return await limits.held_refusal(request, response)
    limits.login_reserved(address, attempt, now)
    stored = await store.password_hash(email)
    try:
        valid = await request.app[HASHER].verify(password, stored or _DUMMY_HASH)
    except BusyError:
        await store.release_login_attempt(attempt)  # not evaluated: not counted
        limits.login_released(address, attempt)
        raise
    agent = await store.get(email) if valid and stored is not None else None
    if agent is None or agent.disabled:
        return json_error(401, "invalid_credentials", "wrong email or password")
    await store.release_login_attempt(attempt)
    limits.login_released(address, attempt)
    token = new_token()
    ttl = settings.session_hours * 3600
    await store.create_session(token, agent.email, now, ttl)
    return web.json_response({"token": token, "expires_at": now + ttl, "agent": agent.public()})


@routes.post("/api/auth/logout")
async def logout(request: web.Request) -> web.Response:
    agent = await current_agent(request)
    token = bearer_token(request)
    if token:
        await request.app[AGENTS].end_session(token)
        # the agent's open console sockets check their own tokens now, not at the next recheck
        await request.app[BROKER].publish(agent_topic(agent.email), {"type": "sessions_changed"})
    return web.json_response({"status": "logged_out"})


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    agent = await current_agent(request)
    return web.json_response(agent.public())
